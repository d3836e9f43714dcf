import { describe, expect, it } from 'vitest';
import { differingItems, sideBySide } from '../../../src/lib/charts/compare-view.ts';
import { compareRuns } from '../../../src/lib/share/compare.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import type { GenerationItemRecord, RunResult } from '../../../src/lib/results/types.ts';
import { ladderResult } from '../charts/fixtures.ts';

/** The same run with one model's first `flip` items of one variant answered the other way. */
function flipped(run: RunResult, modelIndex: number, variant: string, flip: number): RunResult {
  const models = run.models.map((m, i) => {
    if (i !== modelIndex) return m;
    let left = flip;
    const items = (m.items as GenerationItemRecord[]).map((it): GenerationItemRecord => {
      if (it.variant !== variant || left === 0) return it;
      left--;
      const right = it.metrics.exact_match === 0;
      return { ...it, output_text: right ? it.target : 'wrong', metrics: { ...it.metrics, exact_match: right ? (1 as const) : (0 as const) } };
    });
    return { ...m, items, aggregates: { variants: aggregateModelItems(items, { seed: run.spec.bootstrapSeed, model: m.id }) } };
  });
  return { ...run, models };
}

describe('sideBySide', () => {
  it('pairs every model × variant; identical runs have zero deltas and overlapping intervals', () => {
    const run = ladderResult();
    const rows = sideBySide(run, run, 'exact_match');
    const variants = run.models[0].aggregates.variants.length;
    expect(rows).toHaveLength(run.models.length * variants);
    for (const r of rows) {
      expect(r.delta).toBe(0);
      expect(r.overlap).toBe(true);
      expect(r.a).toEqual(r.b);
    }
  });

  it('reports the change of a mean and a model missing on one side', () => {
    const a = ladderResult();
    const b = flipped(a, 0, a.models[0].items[0].variant, 6);
    const rows = sideBySide(a, b, 'exact_match');
    const changed = rows.filter((r) => r.delta !== 0);
    expect(changed.length).toBe(1);
    expect(changed[0].modelId).toBe(a.models[0].id);
    expect(changed[0].delta).toBeCloseTo(changed[0].b!.mean - changed[0].a!.mean, 12);
    const withoutFirst: RunResult = { ...a, models: a.models.slice(1) };
    const missing = sideBySide(withoutFirst, b, 'exact_match').filter((r) => r.a === null);
    expect(missing.length).toBe(a.models[0].aggregates.variants.length);
    expect(missing.every((r) => r.delta === null && r.overlap === null)).toBe(true);
  });
});

describe('differingItems', () => {
  it('lists the items compareRuns found different, with both sides', () => {
    const a = ladderResult();
    const variant = a.models[1].items[0].variant;
    const b = flipped(a, 1, variant, 3);
    const cmp = compareRuns(a, b).perModel.find((m) => m.id === a.models[1].id)!;
    expect(cmp.differingItemIds).toHaveLength(3);
    const items = differingItems(a, b, cmp);
    expect(items.map((i) => i.id)).toEqual(cmp.differingItemIds);
    for (const it of items) {
      expect(it.variant).toBe(variant);
      expect(it.a).toBe(1 - it.b!);
      expect(it.outputA).not.toBe(it.outputB);
    }
    expect(differingItems(a, b, cmp, 2)).toHaveLength(2);
  });
});
