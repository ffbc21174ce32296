import type { FlipDirection } from '../../structures/boxes';

/** The directions a random flip draws from, with their probabilities, and "no flip" last. */
export type FlipChoices = readonly { dir: FlipDirection | null; p: number }[];

/**
 * mmcv's RandomFlip probabilities: per direction when `prob` is a list, else `prob` split
 * evenly over the directions; the rest is the chance of not flipping.
 */
export function flipChoices(prob: number | readonly number[], direction: FlipDirection | readonly FlipDirection[]): FlipChoices {
  const dirs = Array.isArray(direction) ? direction : [direction as FlipDirection];
  const probs = Array.isArray(prob) ? prob : dirs.map(() => (prob as number) / dirs.length);
  return [...dirs.map((dir, i) => ({ dir, p: probs[i] })), { dir: null, p: 1 - probs.reduce((a, b) => a + b, 0) }];
}

/** The direction whose cumulative probability first exceeds u (numpy's choice with p). */
export function chooseFlip(choices: FlipChoices, u: number): FlipDirection | null {
  let acc = 0;
  for (const c of choices) {
    acc += c.p;
    if (u < acc) return c.dir;
  }
  return null;
}
