/** Small numeric helpers shared by aggregation and the emergence score. Inputs are finite. */

/**
 * Arithmetic mean that stays finite for any finite input: the plain sum can overflow
 * (1e308 + 1e308), in which case we sum x/n instead, whose total is bounded by max |x|.
 * The result is clamped to [min, max], removing rounding such as mean([c, c, c]) ≠ c.
 */
export function mean(xs: readonly number[] | Float64Array): number {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  let m = sum / xs.length;
  if (!Number.isFinite(sum)) {
    m = 0;
    for (const x of xs) m += x / xs.length;
  }
  return Math.min(Math.max(m, min), max);
}

/**
 * Quantile of an ascending array by linear interpolation between order statistics
 * (numpy.quantile's default, Hyndman & Fan type 7): position h = (n − 1)·q.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  const a = sorted[lo];
  const b = sorted[hi];
  // a·(1−w) + b·w cannot overflow (unlike a + (b−a)·w); the clamp removes a last-bit rounding
  // outside [a, b], so the quantile of a constant sample is exactly that constant.
  const w = h - lo;
  return Math.min(Math.max(a * (1 - w) + b * w, a), b);
}

/** Median: the middle value, or the mean of the two middle values (numpy.median). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return quantileSorted(sorted, 0.5);
}
