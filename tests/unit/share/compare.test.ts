import type { GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { describe, expect, it } from 'vitest';
import { compareRuns, decodeShareLink, encodeShareLink } from '../../../src/lib/share/index.ts';
import { summarizeComparison } from '../../../src/lib/share/compare.ts';
import { syntheticRun } from './synthetic-run.ts';

const a = syntheticRun({ models: 3, digits: [1, 2], perVariant: 8 });

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('compareRuns', { timeout: 60_000 }, () => {
  it('a run against itself: full agreement, zero deltas', () => {
    const c = compareRuns(a, a);
    expect(c.perModel).toHaveLength(3);
    for (const m of c.perModel) {
      expect(m).toMatchObject({ inA: true, inB: true, agreement: 1, compared: 16, differingItemIds: [], basis: 'output' });
      expect(m.aggregateDeltas).toHaveLength(2 * 9);
      expect(m.aggregateDeltas.every((d) => d.delta === 0)).toBe(true);
    }
  });

  it('finds the items whose output or exact match changed, and the mean shifts', () => {
    const b = structuredClone(a);
    const items = b.models[1].items as GenerationItemRecord[];
    items[2] = { ...items[2], output_text: items[2].output_text + '9' };
    b.models[1].aggregates.variants[0].metrics.exact_match.mean += 0.125;
    b.models[2].device = 'wasm'; // re-run on another backend still pairs up
    const c = compareRuns(a, b);
    expect(c.perModel[1].differingItemIds).toEqual([items[2].id]);
    expect(c.perModel[1].agreement).toBe(15 / 16);
    expect(c.perModel[1].aggregateDeltas.find((d) => d.metric === 'exact_match' && d.variant === 'add/1d')?.delta).toBe(0.125);
    expect(c.perModel[2].agreement).toBe(1);
  });

  it('models only on one side are listed, with no agreement', () => {
    const b = structuredClone(a);
    b.models = b.models.slice(1);
    const c = compareRuns(a, b);
    expect(c.perModel[0]).toMatchObject({ id: a.models[0].id, inA: true, inB: false, agreement: null });
    expect(c.perModel.filter((m) => m.inB)).toHaveLength(2);
  });

  it('a SharedRun (from a link) against a re-run: agreement on metrics', () => {
    const shared = decodeShareLink(encodeShareLink(a).fragment);
    const c = compareRuns(shared, a);
    for (const m of c.perModel) expect(m).toMatchObject({ agreement: 1, basis: 'metrics', compared: 16 });
    const b = structuredClone(a);
    const it0 = b.models[0].items[0] as GenerationItemRecord;
    b.models[0].items[0] = { ...it0, metrics: { ...it0.metrics, exact_match: it0.metrics.exact_match ? 0 : 1 } };
    expect(compareRuns(shared, b).perModel[0].differingItemIds).toEqual([it0.id]);
  });

  it('an aggregates-only link compares aggregates but not items', () => {
    const shared = decodeShareLink(encodeShareLink(a, { items: false }).fragment);
    const m = compareRuns(shared, a).perModel[0];
    expect(m).toMatchObject({ agreement: null, compared: 0, basis: null });
    expect(m.aggregateDeltas.every((d) => d.delta === 0)).toBe(true);
  });
});

describe('summarizeComparison', { timeout: 60_000 }, () => {
  it('a run against itself: all items identical, no mean moved', () => {
    const s = summarizeComparison(compareRuns(a, a));
    expect(s).toMatchObject({ compared: 48, differing: 0, identical: true, modelsWithDifferences: [], notRerun: [], newHere: [], deltas: [], roundingOnly: 0 });
  });

  it('lists only the differing items and the means that moved', () => {
    const b = structuredClone(a);
    const items = b.models[1].items as GenerationItemRecord[];
    items[2] = { ...items[2], output_text: items[2].output_text + '9' };
    b.models[1].aggregates.variants[0].metrics.exact_match.mean += 0.125;
    b.models = b.models.slice(0, 2);
    const s = summarizeComparison(compareRuns(a, b));
    expect(s.identical).toBe(false);
    expect(s.compared).toBe(32);
    expect(s.differing).toBe(1);
    expect(s.modelsWithDifferences).toEqual([{ id: b.models[1].id, dtype: 'fp32', compared: 16, itemIds: [items[2].id] }]);
    expect(s.notRerun).toEqual([a.models[2].id]);
    expect(s.deltas).toEqual([{ model: b.models[1].id, dtype: 'fp32', variant: 'add/1d', metric: 'exact_match', a: a.models[1].aggregates.variants[0].metrics.exact_match.mean, b: b.models[1].aggregates.variants[0].metrics.exact_match.mean, delta: 0.125 }]);
  });

  it('a float32 link: rounding of the stored means is not a difference, a real shift is', () => {
    const x = 0.1234567891234;
    const rounded = Math.fround(x);
    expect(rounded).not.toBe(x);
    const model = { id: 'arith/m', dtype: 'fp32', inA: true, inB: true, agreement: 1, compared: 4, differingItemIds: [], basis: 'metrics' as const };
    const deltas = [
      { variant: 'add/1d', metric: 'per_token_prob', a: rounded, b: x, delta: x - rounded },
      { variant: 'add/1d', metric: 'exact_match', a: 0.25, b: 0.5, delta: 0.25 },
    ];
    const f32 = summarizeComparison({ precision: 'float32', perModel: [{ ...model, aggregateDeltas: deltas }] });
    expect(f32.roundingOnly).toBe(1);
    expect(f32.deltas.map((d) => d.metric)).toEqual(['exact_match']);
    // The same numbers from an exactly stored baseline are a difference.
    const exact = summarizeComparison({ precision: 'exact', perModel: [{ ...model, aggregateDeltas: deltas }] });
    expect(exact.deltas.map((d) => d.metric)).toEqual(['per_token_prob', 'exact_match']);
    expect(exact.identical).toBe(true);
  });
});
