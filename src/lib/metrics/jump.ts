/**
 * Emergence measures of one metric along a model ladder (values ordered by increasing scale),
 * always a number or a reason why not: never a sentinel, never NaN or ±Infinity.
 *
 * - Breakthroughness (Srivastava et al. 2022, "Beyond the Imitation Game", arXiv:2206.04615,
 *   appendix B "Definitions of linearity and breakthroughness"):
 *     B = I(y) / RootMedianSquare({y_{i+1} − y_i}),  I(y) = sign(argmax y − argmin y)·(max y − min y)
 *   i.e. sign(argmax − argmin)·(max − min)/√(median_i (y_{i+1} − y_i)²), with y oriented so that
 *   higher is better. Undefined when the median squared step is 0 (most steps flat: the typical
 *   step is zero, B would be infinite), when every value is equal, and for fewer than 3 models
 *   (with 2, B = ±1 whatever the data). The old emergenceScore (emergence.ts) is the same
 *   formula with the denominator floored at 1e-6·range, which printed 1e6 for those curves.
 * - Jump share: the largest step between neighbouring models over the total variation,
 *     J = max_i |y_{i+1} − y_i| / Σ_i |y_{i+1} − y_i|  ∈ [1/(m − 1), 1],
 *   with the step where it happens ("93% of the change happens between model 3 and model 4").
 *   Undefined when every value is equal (no change to share) and for fewer than 3 models.
 */

export interface Undefined {
  /** Why the measure has no value, in words for a visitor. */
  undefined: string;
}

export type PointMeasure = { value: number } | Undefined;
export type JumpSharePoint = { value: number; step: number; delta: number } | Undefined;

export function isUndefined<T extends object>(m: T | Undefined): m is Undefined {
  return 'undefined' in m;
}

export interface BreakthroughnessOptions {
  /** false for metrics where lower is better (edit distance, Brier score): values are negated. */
  higherIsBetter?: boolean;
}

/** Index of the first maximum / minimum (numpy.argmax / argmin). */
function argExtremes(ys: ArrayLike<number>): { iMax: number; iMin: number } {
  let iMax = 0;
  let iMin = 0;
  for (let i = 1; i < ys.length; i++) {
    if (ys[i] > ys[iMax]) iMax = i;
    if (ys[i] < ys[iMin]) iMin = i;
  }
  return { iMax, iMin };
}

/** Largest |y| (the unit in which steps are computed, so that no difference overflows). */
function maxAbs(ys: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < ys.length; i++) s = Math.max(s, Math.abs(ys[i]));
  return s;
}

const TOO_FEW = (m: number): Undefined => ({
  undefined: m < 2 ? `needs at least 3 models, got ${m}` : 'needs at least 3 models: with 2, all the change is one step whatever the data',
});

const FLAT: Undefined = { undefined: 'the curve is flat: every model has the same value' };

/** Breakthroughness of finite values ys (ordered by scale). */
export function breakthroughness(ys: ArrayLike<number>, opts: BreakthroughnessOptions = {}): PointMeasure {
  const m = ys.length;
  if (m < 3) return TOO_FEW(m);
  const sign = opts.higherIsBetter === false ? -1 : 1;
  const scale = maxAbs(ys);
  if (scale === 0) return FLAT;
  const oriented = new Float64Array(m);
  for (let i = 0; i < m; i++) oriented[i] = sign * ys[i];
  // Extremes are located before scaling, which could round distinct tiny values together.
  const { iMax, iMin } = argExtremes(oriented);
  const z = oriented.map((y) => y / scale);
  const range = z[iMax] - z[iMin];
  if (range === 0) return FLAT;
  const sq = new Float64Array(m - 1);
  let zeros = 0;
  for (let i = 1; i < m; i++) {
    const d = z[i] - z[i - 1];
    sq[i - 1] = d * d;
    if (d === 0) zeros++;
  }
  sq.sort();
  const h = (sq.length - 1) / 2;
  const medianSq = (sq[Math.floor(h)] + sq[Math.ceil(h)]) / 2;
  if (!(medianSq > 0)) {
    return { undefined: `the curve is flat in most steps (${zeros} of ${m - 1} steps between neighbouring models are 0), so its typical step is 0` };
  }
  return { value: (Math.sign(iMax - iMin) * range) / Math.sqrt(medianSq) };
}

/** Jump share of finite values ys (ordered by scale); `step` i is the step from model i to i + 1. */
export function jumpShare(ys: ArrayLike<number>): JumpSharePoint {
  const m = ys.length;
  if (m < 3) return TOO_FEW(m);
  // Steps in the metric's own units (exact ties stay ties), or in units of max |y| when a
  // difference could overflow.
  const scale = maxAbs(ys) > 1e300 ? maxAbs(ys) : 1;
  let total = 0;
  let largest = 0;
  let step = 0;
  for (let i = 1; i < m; i++) {
    const d = Math.abs(ys[i] / scale - ys[i - 1] / scale);
    total += d;
    if (d > largest) {
      largest = d;
      step = i - 1;
    }
  }
  if (total === 0) return FLAT;
    const delta = (ys[step + 1] / scale - ys[step] / scale) * scale;
  return { value: Math.min(1, largest / total), step, delta: Math.min(Math.max(delta, -Number.MAX_VALUE), Number.MAX_VALUE) };
}
