/**
 * "Was the jump predictable?" Schaeffer, Miranda & Koyejo (2023, arXiv:2304.15004) argue that
 * exact match on an L-token answer behaves like p^L, p the per-token probability: if p rises
 * smoothly with scale, exact match still looks sudden. So fit the smooth quantity on the small
 * models and see whether it foretells the big models' exact match.
 *
 * On the rungs at or below the cut-off (models ordered by parameters N_r):
 *   y_r = logit(p̄_r),  p̄_r = mean over the rung's items of the per-token probability,
 *   least squares y_r ≈ a + b·log10 N_r,
 * then for every rung p̂_r = σ(a + b·log10 N_r) and
 *   predicted exact match_r = mean over the rung's items of p̂_r^{L_i}   (L_i: item i's answer length in tokens).
 * Beside it, the naive extrapolation of exact match itself: least squares of the observed exact
 * match on log10 N over the same rungs, clamped to [0, 1].
 * Prediction band: items are resampled with replacement within every rung (the fit rungs'
 * probabilities and the predicted rungs' answer lengths), the line refitted and the prediction
 * recomputed; the band is the percentile interval of those predictions.
 * p̄ is clamped to [1e-9, 1 − 1e-9] before the logit, so extreme log-probs (p = 0 or 1 in
 * double precision) give a finite fit instead of ±∞.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { MetricError } from './errors.ts';
import type { Undefined } from './jump.ts';
import { quantileSorted } from './numeric.ts';

export interface PredictItem {
  /** Per-token probability of the target (geometric mean over its tokens), in [0, 1]. */
  p: number;
  /** Answer length in tokens, L ≥ 1. */
  L: number;
  /** Exact match of the greedy output, 0 or 1. */
  exact: number;
}

export interface PredictRung {
  /** Parameter count (or any positive scale: non-embedding parameters, compute). */
  params: number;
  items: readonly PredictItem[];
}

export interface PredictOptions {
  /** Index of the last rung used for the fit (rungs 0..cutoff); at least 1. */
  cutoff: number;
  seed: number;
  resamples?: number;
  level?: number;
}

export interface RungPrediction {
  params: number;
  /** Whether this rung was used for the fit (index ≤ cutoff). */
  fitted: boolean;
  /** Observed exact match (mean over items). */
  observed: number;
  /** Mean per-token probability p̄. */
  meanP: number;
  /** Fitted per-token probability p̂ at this rung. */
  fittedP: number;
  /** Predicted exact match: mean_i p̂^{L_i}. */
  predicted: number;
  /** Bootstrap prediction band of `predicted`. */
  lo: number;
  hi: number;
  /** Naive linear extrapolation of exact match on log10 N, clamped to [0, 1]. */
  naive: number;
  /** observed ∈ [lo, hi]. */
  withinBand: boolean;
}

export interface JumpPrediction {
  /** logit(p̂) = intercept + slope·log10 N. */
  intercept: number;
  slope: number;
  naiveIntercept: number;
  naiveSlope: number;
  rungs: RungPrediction[];
}

const P_CLAMP = 1e-9;

const logit = (p: number): number => {
  const q = Math.min(Math.max(p, P_CLAMP), 1 - P_CLAMP);
  return Math.log(q / (1 - q));
};
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** Least squares y ≈ a + b·x; null when the x are all equal. */
function leastSquares(xs: ArrayLike<number>, ys: ArrayLike<number>): { a: number; b: number } | null {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] / n;
    my += ys[i] / n;
  }
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (!(sxx > 0)) return null;
  const b = sxy / sxx;
  return { a: my - b * mx, b };
}

function validate(rungs: readonly PredictRung[]): void {
  rungs.forEach((r, j) => {
    if (!(Number.isFinite(r.params) && r.params > 0)) throw new MetricError(`Rung ${j}: the parameter count must be a positive number, got ${r.params}.`);
    if (j > 0 && r.params < rungs[j - 1].params) throw new MetricError(`Rungs must be ordered by parameter count; rung ${j} (${r.params}) is smaller than rung ${j - 1}.`);
    r.items.forEach((it, i) => {
      if (!(Number.isFinite(it.p) && it.p >= 0 && it.p <= 1)) throw new MetricError(`Rung ${j}, item ${i}: the per-token probability must be in [0, 1], got ${it.p}.`);
      if (!(Number.isSafeInteger(it.L) && it.L >= 1)) throw new MetricError(`Rung ${j}, item ${i}: the answer length must be a positive whole number of tokens, got ${it.L}.`);
      if (it.exact !== 0 && it.exact !== 1) throw new MetricError(`Rung ${j}, item ${i}: exact match must be 0 or 1, got ${it.exact}.`);
    });
  });
}

/**
 * Fit on rungs 0..cutoff, predict every rung's exact match, with the bootstrap band and the
 * naive extrapolation. Undefined (with the reason) when fewer than 2 rungs are at or below the
 * cut-off, no rung is above it, a rung has no items, or the fit rungs all have the same size.
 * Invalid numbers (NaN, p outside [0, 1], L < 1, exact not 0/1, unordered rungs) throw MetricError.
 */
export function predictJump(rungs: readonly PredictRung[], opts: PredictOptions): JumpPrediction | Undefined {
  const { cutoff, seed, resamples = 1000, level = 0.95 } = opts;
  if (!Number.isSafeInteger(seed)) throw new MetricError(`The bootstrap seed must be an integer, got ${seed}.`);
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new MetricError(`The number of bootstrap resamples must be a positive integer, got ${resamples}.`);
  if (!(level > 0 && level < 1)) throw new MetricError(`The confidence level must be strictly between 0 and 1, got ${level}.`);
  if (!Number.isSafeInteger(cutoff)) throw new MetricError(`The cut-off must be a rung index, got ${cutoff}.`);
  validate(rungs);
  if (cutoff < 1) return { undefined: `needs at least 2 models at or below the cut-off to fit a line, got ${Math.max(0, Math.min(cutoff + 1, rungs.length))}` };
  if (cutoff >= rungs.length - 1) return { undefined: 'no model above the cut-off is left to predict' };
  const empty = rungs.findIndex((r) => r.items.length === 0);
  if (empty >= 0) return { undefined: `model ${empty + 1} of the ladder has no items` };
  const F = cutoff + 1;
  const logN = rungs.map((r) => Math.log10(r.params));
  if (logN.slice(0, F).every((x) => x === logN[0])) return { undefined: 'the models at or below the cut-off all have the same size: no slope to extrapolate' };

  const meanOf = (r: PredictRung, f: (it: PredictItem) => number): number => r.items.reduce((s, it) => s + f(it), 0) / r.items.length;
  const meanP = rungs.map((r) => meanOf(r, (it) => it.p));
  const observed = rungs.map((r) => meanOf(r, (it) => it.exact));
  const fit = leastSquares(logN.slice(0, F), meanP.slice(0, F).map(logit));
  const naive = leastSquares(logN.slice(0, F), observed.slice(0, F));
  if (!fit || !naive) return { undefined: 'the models at or below the cut-off all have the same size: no slope to extrapolate' };
  const predictRung = (a: number, b: number, j: number, lengths: ArrayLike<number>): number => {
    const p = sigmoid(a + b * logN[j]);
    let s = 0;
    for (let i = 0; i < lengths.length; i++) s += p ** lengths[i];
    return s / lengths.length;
  };
  const lengthsOf = rungs.map((r) => Float64Array.from(r.items, (it) => it.L));
  const point = rungs.map((_, j) => predictRung(fit.a, fit.b, j, lengthsOf[j]));

  // Bootstrap: resample items within each rung, refit, predict.
  const rng = xoroshiro128plus(seed);
  const draw = (n: number): number => {
    const limit = n > 2 ? ~~(4294967296 / n) * n : 4294967296;
    let d = rng.next() + 2147483648;
    while (d >= limit) d = rng.next() + 2147483648;
    return d - Math.floor(d / n) * n;
  };
  const preds = rungs.map(() => new Float64Array(resamples));
  const ys = new Float64Array(F);
  const xs = Float64Array.from(logN.slice(0, F));
  const lengths = rungs.map((r) => new Float64Array(r.items.length));
  let kept = 0;
  for (let b = 0; b < resamples; b++) {
    for (let j = 0; j < rungs.length; j++) {
      const items = rungs[j].items;
      const n = items.length;
      let sp = 0;
      for (let i = 0; i < n; i++) {
        const it = items[draw(n)];
        sp += it.p;
        lengths[j][i] = it.L;
      }
      if (j < F) ys[j] = logit(sp / n);
    }
    const f = leastSquares(xs, ys);
    if (!f) continue; // cannot happen: the x are fixed and not all equal
    for (let j = 0; j < rungs.length; j++) preds[j][kept] = predictRung(f.a, f.b, j, lengths[j]);
    kept++;
  }
  const alpha = 1 - level;
  const out = rungs.map((r, j): RungPrediction => {
    const sorted = Array.from(preds[j].subarray(0, kept)).sort((x, y) => x - y);
    const lo = Math.min(quantileSorted(sorted, alpha / 2), point[j]);
    const hi = Math.max(quantileSorted(sorted, 1 - alpha / 2), point[j]);
    const naiveValue = Math.min(1, Math.max(0, naive.a + naive.b * logN[j]));
    return {
      params: r.params,
      fitted: j < F,
      observed: observed[j],
      meanP: meanP[j],
      fittedP: sigmoid(fit.a + fit.b * logN[j]),
      predicted: point[j],
      lo,
      hi,
      naive: naiveValue,
      withinBand: observed[j] >= lo && observed[j] <= hi,
    };
  });
  return { intercept: fit.a, slope: fit.b, naiveIntercept: naive.a, naiveSlope: naive.b, rungs: out };
}
