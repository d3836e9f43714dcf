/**
 * The recomputation behind link format r2 (src/lib/share/recompute.ts) against the lab's own
 * aggregation: the bootstrap's resample draws depend only on n and the seed, so replaying them
 * once per variant and metric reproduces meanWithBootstrapCI / aggregateModelItems bit for bit.
 */
import fc from 'fast-check';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { meanWithBootstrapCI } from '../../../src/lib/metrics/aggregate.ts';
import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import type { GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { bootstrapSharedDraws, cellValues, IndexStream, itemsByVariant, recomputeCells, recomputeWork, RECOMPUTE_RESAMPLES } from '../../../src/lib/share/recompute.ts';
import { syntheticRun } from './synthetic-run.ts';

const same = (a: unknown, b: unknown) => expect(a).toEqual(b);
const bitExact = (got: { mean: number; lo: number; hi: number; n: number }, want: typeof got, what = '') => {
  for (const k of ['mean', 'lo', 'hi', 'n'] as const) expect(Object.is(got[k], want[k]), `${what} ${k}: ${got[k]} vs ${want[k]}`).toBe(true);
};

describe('bootstrap replay', { timeout: 120_000 }, () => {
  it('the inlined index stream is pure-rand’s xoroshiro128plus + uniformInt(0, n − 1), draw for draw', () => {
    for (const n of [1, 2, 3, 7, 40, 200, 255, 1000, 8000, 2 ** 31 - 1, 2 ** 32]) {
      for (const seed of [0, 1, -1, 42, 2 ** 31 - 1, -(2 ** 31), 123_456_789]) {
        const rng = xoroshiro128plus(seed);
        const want = Array.from({ length: 3000 }, () => uniformInt(rng, 0, n - 1));
        const got = new Int32Array(3000);
        const stream = new IndexStream(seed, n);
        // Two fills: the stream keeps its state between calls.
        stream.fill(got.subarray(0, 1234));
        stream.fill(got.subarray(1234));
        if (n <= 2 ** 31) same(Array.from(got), want);
        else expect(want.every((x) => x >= 0 && x < n)).toBe(true); // (Int32Array cannot hold 2^32 − 1; links never get there)
      }
    }
  });

  it('the draws depend only on n and the seed: a bootstrap of 0…n−1 and of 1024·(0…n−1) picks the same resamples', () => {
    // Scaling by a power of two commutes with every rounding (sums, division by n, the
    // quantile's interpolation), so if the same resamples are drawn, every number scales
    // exactly; different resamples would give different intervals.
    for (const n of [2, 5, 40, 117]) {
      const x = Array.from({ length: n }, (_, i) => i);
      const a = meanWithBootstrapCI(x, { seed: 9 });
      const b = meanWithBootstrapCI(x.map((v) => 1024 * v), { seed: 9 });
      expect(b.lo).toBe(1024 * a.lo);
      expect(b.hi).toBe(1024 * a.hi);
      // Another seed does draw other resamples (the check above can fail).
      const c = meanWithBootstrapCI(x, { seed: 10 });
      if (n >= 40) expect([c.lo, c.hi]).not.toEqual([a.lo, a.hi]);
      // And shuffling the values (the function sorts them) changes nothing.
      const shuffled = [...x].reverse();
      bitExact(meanWithBootstrapCI(shuffled, { seed: 9 }), a);
    }
  });

  it('replaying one stream for several value sets equals meanWithBootstrapCI of each, bit for bit (random values)', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 20 }).chain((d) => fc.integer({ min: 0, max: d }).map((k) => (d === 0 ? 0 : k / d))),
      fc.double({ min: -60, max: 0, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0, -0, 1, 1e308, -1e308, 5e-324),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 45 }), fc.integer({ min: 1, max: 4 }), fc.integer(), fc.infiniteStream(value), (n, sets, seed, values) => {
        const valueSets = Array.from({ length: sets }, () => Array.from({ length: n }, () => values.next().value as number));
        const got = bootstrapSharedDraws(valueSets, seed);
        valueSets.forEach((v, i) => bitExact(got[i], meanWithBootstrapCI(v, { seed }), `set ${i}`));
      }),
      { numRuns: 150 },
    );
  });

  it('recomputeCells equals aggregateModelItems on every cell of a run (6 models × 5 variants × 40 items, 9 metrics)', () => {
    const run = syntheticRun();
    const cells = run.models.flatMap((m) => {
      const byVariant = itemsByVariant(m.items as GenerationItemRecord[]);
      return m.aggregates.variants.flatMap((a) => GENERATION_METRIC_IDS.map((metric) => ({ model: m, variant: a.variant, metric, values: cellValues(byVariant.get(a.variant), metric) })));
    });
    const got = recomputeCells(cells, run.spec.bootstrapSeed);
    const lab = new Map(run.models.map((m) => [m, aggregateModelItems(m.items, { seed: run.spec.bootstrapSeed, model: m.id, intervals: 'legacy-percentile' })]));
    cells.forEach((c, i) => {
      const want = lab.get(c.model)!.find((a) => a.variant === c.variant)!.metrics[c.metric];
      bitExact(got[i], want, `${c.model.id} ${c.variant} ${c.metric}`);
    });
  });

  it('counts its work: one stream per variant, metric and n, one pass per cell', () => {
    const B = RECOMPUTE_RESAMPLES;
    expect(recomputeWork([])).toBe(0);
    expect(recomputeWork([{ variant: 'a', metric: 'm', n: 1 }])).toBe(1);
    expect(recomputeWork([{ variant: 'a', metric: 'm', n: 40 }])).toBe(40 + 2 * 40 * B);
    // A second model with the same variant, metric and n shares the draws.
    expect(recomputeWork([{ variant: 'a', metric: 'm', n: 40 }, { variant: 'a', metric: 'm', n: 40 }])).toBe(2 * 40 + 3 * 40 * B);
    expect(recomputeWork([{ variant: 'a', metric: 'm', n: 40 }, { variant: 'b', metric: 'm', n: 40 }])).toBe(2 * 40 + 4 * 40 * B);
  });
});
