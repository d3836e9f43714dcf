import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { emergenceScore, MetricError } from '../../../src/lib/metrics/index.ts';
import { breakthroughness, jumpShare } from '../../../src/lib/metrics/jump.ts';
import { measuresWithIntervals, mirageRatioWithInterval, variantEmergence, type LadderRung } from '../../../src/lib/metrics/emergenceIntervals.ts';

describe('breakthroughness (BIG-bench, Srivastava et al. 2022 appendix B)', () => {
  it('hand-computed values', () => {
    expect(breakthroughness([0, 1, 2, 3])).toEqual({ value: 3 }); // range 3 / typical step 1
    const b = breakthroughness([0, 0.1, 0.2, 1]); // steps² [.01, .01, .64], median .01 → 1/0.1
    expect('value' in b && b.value).toBeCloseTo(10, 10);
    expect(breakthroughness([3, 2, 1, 0])).toEqual({ value: -3 });
    expect(breakthroughness([3, 2, 1, 0], { higherIsBetter: false })).toEqual({ value: 3 });
  });
  it('undefined with a reason instead of a sentinel', () => {
    expect(breakthroughness([0, 0, 0, 0, 1])).toEqual({ undefined: expect.stringMatching(/flat in most steps \(3 of 4/) });
    expect(breakthroughness([0.4, 0.4, 0.4])).toEqual({ undefined: expect.stringMatching(/every model has the same value/) });
    expect(breakthroughness([0, 0])).toEqual({ undefined: expect.stringMatching(/at least 3 models/) });
    expect(breakthroughness([0.5])).toEqual({ undefined: expect.stringMatching(/at least 3 models, got 1/) });
    expect(breakthroughness([])).toEqual({ undefined: expect.stringMatching(/got 0/) });
  });
  it('equals the old emergenceScore wherever its denominator did not need the floor', () => {
    const ys = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 3, maxLength: 9 });
    fc.assert(
      fc.property(ys, fc.boolean(), (values, hib) => {
        const b = breakthroughness(values, { higherIsBetter: hib });
        const old = emergenceScore(values, { higherIsBetter: hib });
        // The old score floors the denominator at 1e-6·range, so it saturates at |score| = 1e6.
        if ('value' in b && Math.abs(old) < 0.999e6) expect(Math.abs(b.value - old)).toBeLessThanOrEqual(1e-9 * Math.abs(old));
        if (!('value' in b)) expect(Math.abs(old) === 0 || Math.abs(old) > 0.999e6).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('locates the extremes before scaling (subnormals), as the old score does', () => {
    expect(breakthroughness([0, 14, -5e-324], { higherIsBetter: false })).toEqual({ value: emergenceScore([0, 14, -5e-324], { higherIsBetter: false }) });
  });
  it('finite for extreme values', () => {
    const b = breakthroughness([-1.7e308, 0, 1.7e308]);
    expect('value' in b && Number.isFinite(b.value)).toBe(true);
  });
});

describe('jump share', () => {
  it('hand-computed values and the step', () => {
    const j = jumpShare([0, 0, 0.05, 0.95, 1]); // steps 0, .05, .9, .05 → .9 / 1
    expect('value' in j && j.value).toBeCloseTo(0.9, 12);
    expect('step' in j && j.step).toBe(2);
    expect('delta' in j && j.delta).toBeCloseTo(0.9, 12);
    const even = jumpShare([0, 1, 2, 3]);
    expect('value' in even && even.value).toBeCloseTo(1 / 3, 12);
    expect(even).toMatchObject({ step: 0 });
    expect(jumpShare([0, 1, 0])).toMatchObject({ value: 0.5, step: 0, delta: 1 });
  });
  it('undefined for flat curves and short ladders', () => {
    expect(jumpShare([2, 2, 2, 2])).toEqual({ undefined: expect.stringMatching(/flat/) });
    expect(jumpShare([0, 1])).toEqual({ undefined: expect.stringMatching(/at least 3 models/) });
  });
  it('lies in [1/(m − 1), 1]', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 10 }), (ys) => {
        const j = jumpShare(ys);
        if ('value' in j) {
          expect(j.value).toBeLessThanOrEqual(1);
          expect(j.value).toBeGreaterThanOrEqual(1 / (ys.length - 1) - 1e-12);
        }
      }),
    );
  });
});

/** A ladder of 6 models × 50 items: per-token probability p_r rises smoothly, exact match ≈ p^L (L = 5). */
function syntheticLadder(): LadderRung[] {
  const ps = [0.2, 0.35, 0.5, 0.65, 0.8, 0.95];
  return ps.map((p, r) => ({
    model: `m${r}`,
    items: Array.from({ length: 50 }, (_, i) => {
      // Deterministic spread of item p around p_r; exact match when the item's p^5 clears a fixed per-item threshold.
      const pi = Math.min(0.999, Math.max(0.001, p + 0.1 * Math.sin(i * 12.9898)));
      const u = (Math.sin(i * 78.233) * 43758.5453) % 1;
      return { exact_match: Math.abs(u) < pi ** 5 ? 1 : 0, per_token_prob: pi, token_edit_distance: Math.round(5 * (1 - pi)) };
    }),
  }));
}

describe('variantEmergence', () => {
  const ids = ['exact_match', 'per_token_prob', 'token_edit_distance'];
  it('measures with intervals, and the mirage ratio of exact match over the continuous metrics', () => {
    const e = variantEmergence(syntheticLadder(), ids, { seed: 7, variant: 'add/3d', resamples: 400 });
    const em = e.metrics.exact_match.jumpShare;
    const pt = e.metrics.per_token_prob.jumpShare;
    expect('lo' in em && 'lo' in pt).toBe(true);
    if (!('lo' in em) || !('lo' in pt)) return;
    expect(em.lo).toBeLessThanOrEqual(em.value);
    expect(em.hi).toBeGreaterThanOrEqual(em.value);
    expect(pt.value).toBeCloseTo(0.2, 1); // even steps of 0.15: 1/5 of the change each
    const ratio = e.mirage.per_token_prob.jumpShare;
    expect('value' in ratio && ratio.value).toBeGreaterThan(1.3);
    expect(Object.keys(e.mirage)).toEqual(['per_token_prob', 'token_edit_distance']);
    // Deterministic for a seed, different for another.
    expect(variantEmergence(syntheticLadder(), ids, { seed: 7, variant: 'add/3d', resamples: 400 })).toEqual(e);
    expect(variantEmergence(syntheticLadder(), ids, { seed: 8, variant: 'add/3d', resamples: 400 })).not.toEqual(e);
  });

  it('bad input gives reasons, never sentinels or throws', () => {
    const flat = syntheticLadder().map((r) => ({ ...r, items: r.items.map((it) => ({ ...it, exact_match: 0 })) }));
    const e = variantEmergence(flat, ids, { seed: 1, variant: 'v', resamples: 200 });
    expect(e.metrics.exact_match.breakthroughness).toEqual({ undefined: expect.stringMatching(/same value/) });
    expect(e.mirage.per_token_prob.jumpShare).toEqual({ undefined: expect.stringMatching(/^exact_match: /) });
    const two = variantEmergence(syntheticLadder().slice(0, 2), ids, { seed: 1, variant: 'v', resamples: 50 });
    expect(two.metrics.per_token_prob.jumpShare).toEqual({ undefined: expect.stringMatching(/at least 3 models/) });
    const oneItem = syntheticLadder().map((r) => ({ ...r, items: r.items.slice(0, 1) }));
    const o = variantEmergence(oneItem, ids, { seed: 1, variant: 'v', resamples: 50 });
    expect(JSON.stringify(o)).not.toMatch(/1000000|Infinity|NaN|null/);
    const empty = syntheticLadder().map((r, j) => ({ ...r, items: j === 2 ? [] : r.items }));
    expect(variantEmergence(empty, ids, { seed: 1, variant: 'v', resamples: 50 }).metrics.exact_match.jumpShare).toEqual({
      undefined: expect.stringMatching(/model "m2" has no items/),
    });
  });

  it('a lone success makes the interval undefined, not the value', () => {
    // Exact match 0 everywhere except 1 item of 50 at the top: resamples often lose it.
    const ladder = syntheticLadder().map((r, j) => ({ ...r, items: r.items.map((it, i) => ({ ...it, exact_match: j === 5 && i === 0 ? 1 : 0 })) }));
    const b = variantEmergence(ladder, ids, { seed: 3, variant: 'v', resamples: 300 }).metrics.exact_match.jumpShare;
    expect(b).toMatchObject({ value: 1, step: 4, intervalUndefined: expect.stringMatching(/% of bootstrap resamples/) });
  });

  it('invalid input throws MetricError', () => {
    const bad = syntheticLadder();
    (bad[1].items[0] as Record<string, number>).per_token_prob = NaN;
    expect(() => variantEmergence(bad, ids, { seed: 1, variant: 'v' })).toThrow(MetricError);
    expect(() => variantEmergence(syntheticLadder(), ['nope'], { seed: 1, variant: 'v' })).toThrow(/Unknown metric/);
  });
});

describe('single-metric helpers', () => {
  const ladder = syntheticLadder();
  const column = (id: string): number[][] => ladder.map((r) => r.items.map((it) => it[id] as number));
  it('measuresWithIntervals equals the point measures and brackets them', () => {
    const m = measuresWithIntervals(column('per_token_prob'), { seed: 5, resamples: 300 });
    const means = column('per_token_prob').map((xs) => xs.reduce((a, b) => a + b) / xs.length);
    const point = jumpShare(means);
    expect('value' in m.jumpShare && 'value' in point && m.jumpShare.value).toBeCloseTo('value' in point ? point.value : NaN, 12);
    expect(m.jumpShare).toMatchObject({ lo: expect.any(Number), hi: expect.any(Number) });
    const edits = measuresWithIntervals(column('token_edit_distance'), { seed: 5, resamples: 300, higherIsBetter: false });
    expect('value' in edits.breakthroughness && edits.breakthroughness.value).toBeGreaterThan(0);
  });
  it('mirageRatioWithInterval pairs items and matches variantEmergence', () => {
    const r = mirageRatioWithInterval(column('exact_match'), column('per_token_prob'), { seed: 5, resamples: 300 });
    const full = variantEmergence(ladder, ['exact_match', 'per_token_prob'], { seed: 5, variant: 'v', resamples: 300 }).mirage.per_token_prob;
    expect('value' in r.jumpShare && 'value' in full.jumpShare && r.jumpShare.value).toBe('value' in full.jumpShare ? full.jumpShare.value : NaN);
    expect(() => mirageRatioWithInterval(column('exact_match'), column('per_token_prob').map((xs) => xs.slice(1)), { seed: 1 })).toThrow(/pairs them item by item/);
    expect(mirageRatioWithInterval([[0], [0]], [[0.1], [0.2]], { seed: 1 }).jumpShare).toEqual({ undefined: expect.stringMatching(/at least 3 models/) });
  });
});
