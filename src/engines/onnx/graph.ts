import { hostTensor, type HostTensor } from '../../core/host-tensor';
import type { Dim } from './sym-dim';

/** Element types the exporter writes (ONNX FLOAT, INT64, INT32, BOOL, UINT8). */
export type ElemType = 'float32' | 'int64' | 'int32' | 'bool' | 'uint8';

/** Type and (possibly symbolic) shape of one graph value. */
export interface ValueInfo {
  readonly name: string;
  readonly type: ElemType;
  readonly dims: readonly Dim[];
}

export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttrValue => ({ kind: 'ints', value: [...value] }),
  floats: (value: readonly number[]): AttrValue => ({ kind: 'floats', value: [...value] }),
};

export type Attrs = Record<string, AttrValue>;

export interface GraphNode {
  op: string;
  name: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attrs: Attrs;
}

/** Element type of a host tensor as written to ONNX. */
export function elemTypeOf(t: HostTensor): ElemType {
  return t.dtype === 'int64' ? 'int64' : t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : t.dtype === 'uint8' ? 'uint8' : 'float32';
}

/** Host tensor of an int64 vector (shape inputs of Reshape, Slice, Resize, ...). */
export function int64Tensor(values: readonly (number | bigint)[], shape: readonly number[] = [values.length]): HostTensor {
  return hostTensor('int64', shape, BigInt64Array.from(values, (v) => BigInt(v)));
}

export function float32Tensor(values: readonly number[], shape: readonly number[] = [values.length]): HostTensor {
  return hostTensor('float32', shape, Float32Array.from(values));
}

/**
 * An ONNX graph under construction: nodes in topological order, initializers (weights and
 * constants), graph inputs/outputs, and the type and shape of every value.
 */
export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly initializers = new Map<string, HostTensor>();
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly values = new Map<string, ValueInfo>();
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** A value/node name not used yet: `hint` itself when free, else `hint_1`, `hint_2`, ... */
  uniqueName(hint: string): string {
    if (!this.taken.has(hint)) {
      this.taken.add(hint);
      return hint;
    }
    let i = this.counters.get(hint) ?? 1;
    while (this.taken.has(`${hint}_${i}`)) i++;
    this.counters.set(hint, i + 1);
    const name = `${hint}_${i}`;
    this.taken.add(name);
    return name;
  }

  addInput(name: string, type: ElemType, dims: readonly Dim[]): ValueInfo {
    if (this.taken.has(name)) throw new Error(`graph input name '${name}' is already used`);
    this.taken.add(name);
    const info: ValueInfo = { name, type, dims: [...dims] };
    this.inputs.push(info);
    this.values.set(name, info);
    return info;
  }

  /** Add an initializer under `name` (made unique); returns the name used. */
  addInitializer(name: string, t: HostTensor): string {
    const unique = this.uniqueName(name);
    this.initializers.set(unique, t);
    this.values.set(unique, { name: unique, type: elemTypeOf(t), dims: [...t.shape] });
    return unique;
  }

  /** Replace an existing initializer's value (same name). */
  setInitializer(name: string, t: HostTensor): void {
    this.taken.add(name);
    this.initializers.set(name, t);
    this.values.set(name, { name, type: elemTypeOf(t), dims: [...t.shape] });
  }

  /** Append a node; returns the names of its outputs (one per entry of `outputs`). */
  addNode(op: string, inputs: string[], outputs: { type: ElemType; dims: readonly Dim[] }[], attrs: Attrs = {}): string[] {
    const name = this.uniqueName(op);
    const outNames = outputs.map((_, i) => (outputs.length === 1 ? name : this.uniqueName(`${name}.${i}`)));
    outputs.forEach((o, i) => this.values.set(outNames[i], { name: outNames[i], type: o.type, dims: [...o.dims] }));
    this.nodes.push({ op, name, inputs: [...inputs], outputs: outNames, attrs });
    return outNames;
  }

  info(name: string): ValueInfo {
    const v = this.values.get(name);
    if (!v) throw new Error(`graph has no value named '${name}'`);
    return v;
  }

  isInitializer(name: string): boolean {
    return this.initializers.has(name);
  }

  isGraphInput(name: string): boolean {
    return this.inputs.some((i) => i.name === name);
  }

  isGraphOutput(name: string): boolean {
    return this.outputs.some((o) => o.name === name);
  }

  /** Node producing each value. */
  producers(): Map<string, GraphNode> {
    const m = new Map<string, GraphNode>();
    for (const n of this.nodes) for (const o of n.outputs) m.set(o, n);
    return m;
  }

  /** Nodes reading each value (a node reading a value twice is listed twice). */
  consumers(): Map<string, GraphNode[]> {
    const m = new Map<string, GraphNode[]>();
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (!i) continue;
        const list = m.get(i);
        if (list) list.push(n);
        else m.set(i, [n]);
      }
    }
    return m;
  }

  /** Make every reader of `from` (nodes and graph outputs) read `to` instead. */
  replaceUses(from: string, to: string): void {
    for (const n of this.nodes) n.inputs = n.inputs.map((i) => (i === from ? to : i));
  }

  /**
   * Drop `node`, whose output `out` equals `source`: readers of `out` read `source`. When `out`
   * is a graph output its name is kept by renaming `source` (when `source` is a node output
   * read by nothing else that must keep its name); otherwise an Identity stays.
   */
  bypass(node: GraphNode, out: string, source: string): boolean {
    if (this.isGraphOutput(out)) {
      const canRename = !this.isGraphInput(source) && !this.isInitializer(source) && !this.isGraphOutput(source);
      if (!canRename) return false;
      this.renameValue(source, out, node);
      this.nodes.splice(this.nodes.indexOf(node), 1);
      return true;
    }
    this.replaceUses(out, source);
    this.nodes.splice(this.nodes.indexOf(node), 1);
    this.values.delete(out);
    return true;
  }

  /** Rename value `from` to `to` everywhere (`to` must be free or belong to `removing`'s output). */
  renameValue(from: string, to: string, removing?: GraphNode): void {
    for (const n of this.nodes) {
      if (n === removing) continue;
      n.inputs = n.inputs.map((i) => (i === from ? to : i));
      n.outputs = n.outputs.map((o) => (o === from ? to : o));
    }
    const info = this.values.get(from);
    if (info) {
      this.values.delete(from);
      this.values.set(to, { ...info, name: to });
    }
    this.taken.add(to);
  }
}
