import { describe, expect, it } from 'vitest';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { MetricError } from '../../../src/lib/metrics/errors.ts';
import { boundsFor, intervalMethodFor, meanWithInterval } from '../../../src/lib/metrics/intervals.ts';
import { wilsonInterval } from '../../../src/lib/metrics/wilson.ts';
import { normalCdf, normalQuantile, studentTQuantile } from '../../../src/lib/metrics/distributions.ts';

/** Exact coverage of an interval rule for Binomial(n, p): Σ_k P(k) · [p ∈ interval(k)]. */
function exactBinomialCoverage(n: number, p: number): number {
  let cov = 0;
  for (let k = 0; k <= n; k++) {
    let logC = 0;
    for (let i = 1; i <= k; i++) logC += Math.log((n - k + i) / i);
    const prob = Math.exp(logC + k * Math.log(p) + (n - k) * Math.log(1 - p));
    const { lo, hi } = wilsonInterval(k, n);
    if (lo <= p && p <= hi) cov += prob;
  }
  return cov;
}

describe('distributions', () => {
  it('normal CDF and quantile agree with tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959964, 5);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
  });
  it('t quantiles agree with tables', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764, 4);
    expect(studentTQuantile(0.975, 49)).toBeCloseTo(2.0096, 4);
  });
});

describe('wilsonInterval', () => {
  it('hand check: 50 of 50 gives [0.929, 1] (Wilson; no boundary correction applies)', () => {
    const { lo, hi } = wilsonInterval(50, 50);
    expect(lo).toBeCloseTo(0.9287, 4); // n/(n + z²) = 50/53.84
    expect(hi).toBe(1);
  });
  it('hand check: 15 of 50 (centre (0.3 + z²/100)/(1 + z²/50), no correction)', () => {
    const z = 1.959963984540054;
    const n = 50;
    const centre = (0.3 + (z * z) / (2 * n)) / (1 + (z * z) / n);
    const half = (z / (1 + (z * z) / n)) * Math.sqrt((0.3 * 0.7) / n + (z * z) / (4 * n * n));
    const { lo, hi } = wilsonInterval(15, n);
    expect(lo).toBeCloseTo(centre - half, 6);
    expect(hi).toBeCloseTo(centre + half, 6);
  });
  it('0 of n starts at 0, n of n ends at 1, and the width is never 0', () => {
    for (const n of [1, 2, 5, 50, 1000]) {
      for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 7))) {
        const { lo, hi } = wilsonInterval(k, n);
        expect(hi - lo).toBeGreaterThan(0);
        expect(lo).toBeLessThanOrEqual(k / n);
        expect(hi).toBeGreaterThanOrEqual(k / n);
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
      }
      expect(wilsonInterval(0, n).lo).toBe(0);
      expect(wilsonInterval(n, n).hi).toBe(1);
    }
  });
  it('exact coverage at n = 50 is at least 93% for p in {0.02, 0.1, 0.5, 0.9, 0.98}', () => {
    const got = [0.02, 0.1, 0.5, 0.9, 0.98].map((p) => exactBinomialCoverage(50, p));
    for (const c of got) expect(c).toBeGreaterThanOrEqual(0.93);
    // Plain Wilson covers p = 0.02 only 92.2% of the time: the boundary correction is what lifts it.
    expect(got[0]).toBeGreaterThan(0.97);
  });
  it('rejects impossible counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(MetricError);
    expect(() => wilsonInterval(0, 0)).toThrow(MetricError);
    expect(() => wilsonInterval(1.5, 3)).toThrow(MetricError);
  });
});

describe('intervalMethodFor', () => {
  it('Wilson for the binary per-item metrics, bootstrap otherwise', () => {
    for (const id of ['exact_match', 'greedy_consistency', 'mc_grade', 'mc_grade_norm']) expect(intervalMethodFor(id)).toBe('wilson');
    for (const id of ['token_edit_distance', 'per_token_prob', 'brier_score', 'something_new']) expect(intervalMethodFor(id)).toBe('bootstrap');
  });
  it('bounds come from the registry', () => {
    expect(boundsFor('digit_accuracy')).toEqual({ min: 0, max: 1 });
    expect(boundsFor('token_edit_distance')).toEqual({ min: 0, max: null });
    expect(boundsFor('unknown')).toEqual({ min: null, max: null });
  });
});

describe('meanWithInterval (bootstrap: BCa ∪ t)', () => {
  const rng = xoroshiro128plus(20261129);
  const u = (): number => uniformFloat64(rng);
  /** A token-edit-distance-like metric: mostly 0, sometimes 1, 2 or 5 (mean 0.6, skewed). */
  const editDistance = (): number => {
    const r = u();
    return r < 0.7 ? 0 : r < 0.85 ? 1 : r < 0.95 ? 2 : 5;
  };
  const exponential = (): number => -Math.log(1 - u());

  function simulatedCoverage(draw: () => number, truth: number, n: number, datasets: number): number {
    let covered = 0;
    for (let d = 0; d < datasets; d++) {
      const xs = Array.from({ length: n }, draw);
      const ci = meanWithInterval(xs, { method: 'bootstrap', seed: d, resamples: 500, bounds: { min: 0, max: null } });
      if (ci.lo <= truth && truth <= ci.hi) covered++;
    }
    return covered / datasets;
  }

  it('simulated coverage at n = 50 is at least 93% for skewed metrics (300 seeded datasets each)', () => {
    const edit = simulatedCoverage(editDistance, 0.6, 50, 300);
    const exp = simulatedCoverage(exponential, 1, 50, 300);
    console.info(`simulated coverage, n = 50: edit-distance-like ${(100 * edit).toFixed(1)}%, exponential ${(100 * exp).toFixed(1)}%`);
    expect(edit).toBeGreaterThanOrEqual(0.93);
    expect(exp).toBeGreaterThanOrEqual(0.93);
  });

  it('is at least as wide as the t interval (small-n floor)', () => {
    const xs = [0.1, 0.4, 0.35, 0.8, 0.2];
    const ci = meanWithInterval(xs, { method: 'bootstrap', seed: 3 });
    const m = xs.reduce((a, b) => a + b) / xs.length;
    const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    const half = studentTQuantile(0.975, 4) * (s / Math.sqrt(xs.length));
    expect(ci.lo).toBeLessThanOrEqual(m - half + 1e-12);
    expect(ci.hi).toBeGreaterThanOrEqual(m + half - 1e-12);
  });

  it('does not depend on item order; depends on the seed', () => {
    const xs = Array.from({ length: 40 }, (_, i) => Math.sin(i) ** 2 * 3);
    const a = meanWithInterval(xs, { method: 'bootstrap', seed: 1 });
    expect(meanWithInterval([...xs].reverse(), { method: 'bootstrap', seed: 1 })).toEqual(a);
    const b = meanWithInterval(xs, { method: 'bootstrap', seed: 2 });
    expect(b.mean).toBe(a.mean);
    expect([a.lo, a.hi]).not.toEqual([b.lo, b.hi]);
  });

  it('is clipped to the range and contains the mean', () => {
    const xs = [0.99, 1, 1, 0.97, 1, 1];
    const ci = meanWithInterval(xs, { method: 'bootstrap', seed: 4, bounds: { min: 0, max: 1 } });
    expect(ci.hi).toBeLessThanOrEqual(1);
    expect(ci.lo).toBeLessThanOrEqual(ci.mean);
    expect(ci.hi).toBeGreaterThanOrEqual(ci.mean);
  });

  it('constant samples: Wilson-scaled at a finite bound, zero width otherwise', () => {
    const atMax = meanWithInterval(Array(50).fill(1), { method: 'bootstrap', seed: 1, bounds: { min: 0, max: 1 } });
    expect(atMax.lo).toBeCloseTo(0.9287, 4);
    expect(atMax.hi).toBe(1);
    const atZero = meanWithInterval(Array(50).fill(0), { method: 'bootstrap', seed: 1, bounds: { min: 0, max: 2 } });
    expect(atZero.lo).toBe(0);
    expect(atZero.hi).toBeCloseTo(2 * (1 - 0.9287), 3);
    expect(meanWithInterval([3, 3, 3], { method: 'bootstrap', seed: 1, bounds: { min: 0, max: null } })).toEqual({ mean: 3, lo: 3, hi: 3, n: 3 });
  });

  it('Wilson method: proportions only', () => {
    const ci = meanWithInterval([1, 1, 1, 1], { method: 'wilson', seed: 0 });
    expect(ci.hi).toBe(1);
    expect(ci.lo).toBeLessThan(1);
    expect(() => meanWithInterval([0.5, 1], { method: 'wilson', seed: 0 })).toThrow(/0 or 1/);
  });

  it('stays finite for huge values and throws MetricError for NaN', () => {
    const ci = meanWithInterval([1e308, -1e308, 1e308, 5e307], { method: 'bootstrap', seed: 1 });
    expect(Number.isFinite(ci.lo) && Number.isFinite(ci.hi)).toBe(true);
    expect(() => meanWithInterval([1, NaN], { method: 'bootstrap', seed: 1 })).toThrow(MetricError);
    expect(() => meanWithInterval([], { method: 'bootstrap', seed: 1 })).toThrow(/zero values/);
  });
});
