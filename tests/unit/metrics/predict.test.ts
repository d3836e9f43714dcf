import { describe, expect, it } from 'vitest';
import { MetricError } from '../../../src/lib/metrics/errors.ts';
import { predictJump, type PredictRung } from '../../../src/lib/metrics/predict.ts';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** Known truth: logit(p) = −6 + 1.5·log10 N, every item of a rung has that p. */
const truthP = (N: number): number => sigmoid(-6 + 1.5 * Math.log10(N));
const SIZES = [1e2, 1e3, 1e4, 1e5, 1e6, 1e7];
const LENGTHS = [3, 4, 5, 4, 3, 5, 4, 4, 5, 3];

/** 50 items per rung; exact match set on the first round(50·mean p^L) items, so observed ≈ truth. */
function ladder(): PredictRung[] {
  return SIZES.map((N) => {
    const p = truthP(N);
    const Ls = Array.from({ length: 50 }, (_, i) => LENGTHS[i % LENGTHS.length]);
    const expected = Ls.reduce((s, L) => s + p ** L, 0) / Ls.length;
    const k = Math.round(50 * expected);
    return { params: N, items: Ls.map((L, i) => ({ p, L, exact: i < k ? 1 : 0 })) };
  });
}

describe('predictJump', () => {
  it('recovers a known line and predicts p^L exactly on a noiseless ladder', () => {
    const r = predictJump(ladder(), { cutoff: 2, seed: 1, resamples: 300 });
    if ('undefined' in r) throw new Error(r.undefined);
    expect(r.slope).toBeCloseTo(1.5, 9);
    expect(r.intercept).toBeCloseTo(-6, 9);
    for (const [j, rung] of r.rungs.entries()) {
      const p = truthP(SIZES[j]);
      const want = Array.from({ length: 50 }, (_, i) => p ** LENGTHS[i % LENGTHS.length]).reduce((a, b) => a + b) / 50;
      expect(rung.predicted).toBeCloseTo(want, 9);
      expect(rung.fitted).toBe(j <= 2);
      // Every item of a rung has the same p: resampling cannot move the fit, only the lengths.
      expect(rung.lo).toBeLessThanOrEqual(rung.predicted);
      expect(rung.hi).toBeGreaterThanOrEqual(rung.predicted);
    }
    // The jump (exact match 0.0 → ~0.9 over the last rungs) is predicted; the naive line is not close.
    const top = r.rungs[5];
    expect(top.observed).toBeGreaterThan(0.8);
    expect(Math.abs(top.predicted - top.observed)).toBeLessThan(0.02);
    expect(Math.abs(top.naive - top.observed)).toBeGreaterThan(0.5);
  });

  it('the band widens with item-level noise and covers the truth', () => {
    const noisy = ladder().map((r) => ({
      ...r,
      items: r.items.map((it, i) => ({ ...it, p: Math.min(1, Math.max(0, it.p + 0.05 * Math.sin(i * 1.7))) })),
    }));
    const r = predictJump(noisy, { cutoff: 3, seed: 2, resamples: 400 });
    if ('undefined' in r) throw new Error(r.undefined);
    const top = r.rungs[5];
    expect(top.hi - top.lo).toBeGreaterThan(0.001);
    expect(r.rungs.every((x) => x.lo <= x.predicted && x.predicted <= x.hi)).toBe(true);
  });

  it('undefined with a reason for too few rungs below the cut-off or none above', () => {
    expect(predictJump(ladder(), { cutoff: 0, seed: 1 })).toEqual({ undefined: expect.stringMatching(/at least 2 models/) });
    expect(predictJump(ladder(), { cutoff: 5, seed: 1 })).toEqual({ undefined: expect.stringMatching(/no model above/) });
    expect(predictJump(ladder().slice(0, 2), { cutoff: 1, seed: 1 })).toEqual({ undefined: expect.stringMatching(/no model above/) });
    const same = ladder().map((r, j) => ({ ...r, params: j < 3 ? 100 : r.params }));
    expect(predictJump(same, { cutoff: 2, seed: 1 })).toEqual({ undefined: expect.stringMatching(/same size/) });
    const empty = ladder().map((r, j) => ({ ...r, items: j === 4 ? [] : r.items }));
    expect(predictJump(empty, { cutoff: 2, seed: 1 })).toEqual({ undefined: expect.stringMatching(/no items/) });
  });

  it('extreme probabilities give a finite fit', () => {
    const extreme = ladder().map((r, j) => ({ ...r, items: r.items.map((it) => ({ ...it, p: j < 2 ? 0 : j === 2 ? 1e-300 : 1 })) }));
    const r = predictJump(extreme, { cutoff: 2, seed: 1, resamples: 50 });
    if ('undefined' in r) throw new Error(r.undefined);
    expect(JSON.stringify(r)).not.toMatch(/null|NaN|Infinity/);
  });

  it('invalid input throws MetricError', () => {
    const bad = ladder();
    (bad[1].items[0] as { p: number }).p = NaN;
    expect(() => predictJump(bad, { cutoff: 2, seed: 1 })).toThrow(MetricError);
    expect(() => predictJump([...ladder()].reverse(), { cutoff: 2, seed: 1 })).toThrow(/ordered/);
  });
});
