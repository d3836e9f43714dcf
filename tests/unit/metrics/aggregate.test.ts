import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { aggregateItems, MetricError, meanWithBootstrapCI, type ScoredItem } from '../../../src/lib/metrics/index.ts';
import { meanWithInterval } from '../../../src/lib/metrics/intervals.ts';
import { deriveSeed } from '../../../src/lib/metrics/seed.ts';
import { wilsonInterval } from '../../../src/lib/metrics/wilson.ts';

// meanWithBootstrapCI is the legacy percentile bootstrap that share links r1/r2 replay: its
// behaviour must not change.
describe('meanWithBootstrapCI (legacy)', () => {
  it('n = 1 gives lo = hi = mean', () => {
    expect(meanWithBootstrapCI([0.3], { seed: 7 })).toEqual({ mean: 0.3, lo: 0.3, hi: 0.3, n: 1 });
  });
  it('constant values give a zero-width interval', () => {
    expect(meanWithBootstrapCI([1, 1, 1, 1], { seed: 7 })).toEqual({ mean: 1, lo: 1, hi: 1, n: 4 });
  });
  it('hand check: two values', () => {
    // [0, 1]: resample means are 0, 0.5, 1 with probabilities ¼, ½, ¼; with 1000 resamples the
    // 2.5% and 97.5% percentiles are 0 and 1.
    expect(meanWithBootstrapCI([0, 1], { seed: 3 })).toEqual({ mean: 0.5, lo: 0, hi: 1, n: 2 });
  });
  it('matches the normal approximation for a Bernoulli sample', () => {
    // 30 ones in 100: mean 0.3, se = sqrt(0.3·0.7/100) ≈ 0.0458 → ≈ [0.21, 0.39]
    const values = Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
    const ci = meanWithBootstrapCI(values, { seed: 11, resamples: 2000 });
    expect(ci.mean).toBeCloseTo(0.3, 12);
    expect(ci.lo).toBeGreaterThan(0.19);
    expect(ci.lo).toBeLessThan(0.24);
    expect(ci.hi).toBeGreaterThan(0.36);
    expect(ci.hi).toBeLessThan(0.41);
  });
  it('a higher level gives a wider interval (same seed, same resamples)', () => {
    const values = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.7];
    const narrow = meanWithBootstrapCI(values, { seed: 5, level: 0.5 });
    const wide = meanWithBootstrapCI(values, { seed: 5, level: 0.99 });
    expect(wide.lo).toBeLessThanOrEqual(narrow.lo);
    expect(wide.hi).toBeGreaterThanOrEqual(narrow.hi);
  });
  it('different seeds give different intervals', () => {
    const values = Array.from({ length: 50 }, (_, i) => Math.sin(i) ** 2);
    const a = meanWithBootstrapCI(values, { seed: 1 });
    const b = meanWithBootstrapCI(values, { seed: 2 });
    expect([a.lo, a.hi]).not.toEqual([b.lo, b.hi]);
  });
  it('stays finite when the plain sum would overflow', () => {
    const ci = meanWithBootstrapCI([1e308, 1e308, 1e308], { seed: 1 });
    expect(ci.mean).toBeCloseTo(1e308, -300);
    expect(Number.isFinite(ci.lo) && Number.isFinite(ci.hi)).toBe(true);
  });
});

describe('meanWithBootstrapCI (properties)', () => {
  const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 });
  const seed = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  it('the interval contains the mean and is deterministic for a seed', () => {
    fc.assert(
      fc.property(values, seed, (xs, s) => {
        const a = meanWithBootstrapCI(xs, { seed: s, resamples: 200 });
        const b = meanWithBootstrapCI(xs, { seed: s, resamples: 200 });
        expect(a).toEqual(b);
        expect(a.lo).toBeLessThanOrEqual(a.mean);
        expect(a.mean).toBeLessThanOrEqual(a.hi);
        expect(a.n).toBe(xs.length);
        expect(a.lo).toBeGreaterThanOrEqual(Math.min(...xs));
        expect(a.hi).toBeLessThanOrEqual(Math.max(...xs));
      }),
      { numRuns: 60 },
    );
  });
  it('does not depend on the order of the values', () => {
    fc.assert(
      fc.property(values, seed, (xs, s) => {
        const reversed = [...xs].reverse();
        expect(meanWithBootstrapCI(reversed, { seed: s, resamples: 100 })).toEqual(
          meanWithBootstrapCI(xs, { seed: s, resamples: 100 }),
        );
      }),
      { numRuns: 40 },
    );
  });
});

describe('aggregateItems', () => {
  const items: ScoredItem[] = [
    { variant: 'small', metrics: { exact_match: 0, digit_accuracy: 0.5 } },
    { variant: 'large', metrics: { exact_match: 1, digit_accuracy: 1 } },
    { variant: 'small', metrics: { exact_match: 1, digit_accuracy: null } },
    { variant: 'large', metrics: { exact_match: 1, digit_accuracy: 0.75 } },
    { variant: 'small', metrics: { exact_match: 0, digit_accuracy: 0.25 } },
  ];

  it('groups by variant and averages each metric (hand means)', () => {
    const t = aggregateItems(items, ['exact_match', 'digit_accuracy'], 42);
    expect(Object.keys(t)).toEqual(['small', 'large']);
    expect(t.small.exact_match.mean).toBeCloseTo(1 / 3, 12); // (0 + 1 + 0) / 3
    expect(t.small.exact_match.n).toBe(3);
    expect(t.small.digit_accuracy.mean).toBeCloseTo(0.375, 12); // (0.5 + 0.25) / 2, null skipped
    expect(t.small.digit_accuracy.n).toBe(2);
    // 2 of 2 exact: a Wilson interval, not the zero-width [1, 1] of the old bootstrap.
    expect(t.large.exact_match).toEqual({ mean: 1, ...wilsonInterval(2, 2), n: 2 });
    expect(t.large.exact_match.lo).toBeLessThan(0.5);
    expect(t.large.digit_accuracy.mean).toBeCloseTo(0.875, 12);
  });

  it('binary metrics get Wilson, continuous ones the bootstrap (intervalMethodFor)', () => {
    const t = aggregateItems(items, ['exact_match', 'digit_accuracy'], 42);
    expect(t.small.exact_match).toEqual({ mean: t.small.exact_match.mean, ...wilsonInterval(1, 3), n: 3 });
    const cell = meanWithInterval([0.5, 0.25], { method: 'bootstrap', seed: deriveSeed(deriveSeed(42, 'small', 'digit_accuracy'), 'bootstrap'), bounds: { min: 0, max: 1 } });
    expect(t.small.digit_accuracy).toEqual(cell);
  });

  it('with a model id, models resample independently; without, the seed is as before', () => {
    const many: ScoredItem[] = Array.from({ length: 60 }, (_, i) => ({ variant: 'v', metrics: { per_token_prob: ((i * 7919) % 101) / 100 } }));
    const a = aggregateItems(many, ['per_token_prob'], 5, { model: 'model-a' });
    const b = aggregateItems(many, ['per_token_prob'], 5, { model: 'model-b' });
    const none = aggregateItems(many, ['per_token_prob'], 5);
    expect(a.v.per_token_prob.mean).toBe(b.v.per_token_prob.mean);
    expect([a.v.per_token_prob.lo, a.v.per_token_prob.hi]).not.toEqual([b.v.per_token_prob.lo, b.v.per_token_prob.hi]);
    expect(aggregateItems(many, ['per_token_prob'], 5, { model: 'model-a' })).toEqual(a);
    expect(none.v.per_token_prob).toEqual(
      meanWithInterval(many.map((i) => i.metrics.per_token_prob as number), { method: 'bootstrap', seed: deriveSeed(deriveSeed(5, 'v', 'per_token_prob'), 'bootstrap'), bounds: { min: 0, max: 1 } }),
    );
  });

  it("intervals: 'legacy-percentile' reproduces the first method (share links r1/r2)", () => {
    const t = aggregateItems(items, ['exact_match', 'digit_accuracy'], 42, { intervals: 'legacy-percentile', model: 'ignored' });
    expect(t.small.digit_accuracy).toEqual(meanWithBootstrapCI([0.5, 0.25], { seed: deriveSeed(42, 'small', 'digit_accuracy') }));
    expect(t.large.exact_match).toEqual({ mean: 1, lo: 1, hi: 1, n: 2 });
  });

  it('a variant with one item still gets an interval with width for a proportion', () => {
    const t = aggregateItems([{ variant: 'v', metrics: { exact_match: 1, per_token_prob: 0.4 } }], ['exact_match', 'per_token_prob'], 1);
    expect(t.v.exact_match.hi - t.v.exact_match.lo).toBeGreaterThan(0.5);
    expect(t.v.per_token_prob).toEqual({ mean: 0.4, lo: 0.4, hi: 0.4, n: 1 });
  });

  it('does not depend on item order or on the other variants and metrics', () => {
    const all = aggregateItems(items, ['exact_match', 'digit_accuracy'], 42);
    const shuffled = aggregateItems([...items].reverse(), ['digit_accuracy', 'exact_match'], 42);
    expect(shuffled.small).toEqual(all.small);
    expect(shuffled.large).toEqual(all.large);
    const onlySmall = aggregateItems(
      items.filter((i) => i.variant === 'small'),
      ['digit_accuracy'],
      42,
    );
    expect(onlySmall.small.digit_accuracy).toEqual(all.small.digit_accuracy);
  });

  it('omits a cell where the metric never applies', () => {
    const t = aggregateItems([{ variant: 'v', metrics: { digit_accuracy: null, exact_match: 1 } }], ['digit_accuracy', 'exact_match'], 1);
    expect(Object.keys(t.v)).toEqual(['exact_match']);
  });

  it('treats any variant name as a plain key', () => {
    const t = aggregateItems([{ variant: '__proto__', metrics: { exact_match: 1 } }], ['exact_match'], 1);
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(t['__proto__'].exact_match.mean).toBe(1);
  });

  it('throws MetricError for a missing metric or an invalid seed', () => {
    expect(() => aggregateItems(items, ['brier_score'], 42)).toThrow(MetricError);
    expect(() => aggregateItems(items, ['brier_score'], 42)).toThrow(/Item 0 .*"brier_score"/);
    expect(() => aggregateItems(items, ['exact_match'], NaN)).toThrow(MetricError);
    expect(() =>
      aggregateItems([{ variant: 'v', metrics: { exact_match: NaN } }], ['exact_match'], 1),
    ).toThrow(/Variant "v", metric "exact_match"/);
  });
});
