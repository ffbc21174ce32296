import type { Module } from '../../../src/core/module';

/** The state of a module as [key, shape] pairs in state-dict order. */
export function stateLayout(m: Module): [string, number[]][] {
  return [...m.stateDict()].map(([k, t]) => [k, [...t.shape]]);
}

/**
 * Parameter count of a ResNet/ResNeXt without classifier, written out from the architecture
 * table of He et al. (and Xie et al. for grouped bottlenecks): stem, then per stage the first
 * block (with its 1x1 projection shortcut when the shape changes) and the repeated blocks.
 */
export function expectedParams(depth: number, base = 64, groups = 1, baseWidth = 4): number {
  const blocks: Record<number, number[]> = { 18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3] };
  const bottleneck = depth >= 50;
  const bn = (c: number) => 2 * c;
  let total = 3 * base * 49 + bn(base);
  let cin = base;
  blocks[depth].forEach((n, i) => {
    const planes = base * 2 ** i;
    const out = bottleneck ? 4 * planes : planes;
    const width = groups === 1 ? planes : Math.floor((planes * baseWidth) / base) * groups;
    const block = (c: number) =>
      bottleneck
        ? c * width + bn(width) + (9 * width * width) / groups + bn(width) + width * out + bn(out)
        : 9 * c * planes + bn(planes) + 9 * planes * planes + bn(planes);
    total += block(cin) + (cin !== out || i > 0 ? cin * out + bn(out) : 0) + (n - 1) * block(out);
    cin = out;
  });
  return total;
}

