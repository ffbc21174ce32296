/** Python's round(x) to an integer: nearest, ties to even (the crop transforms' int(round(...))). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
