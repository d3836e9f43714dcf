import { describe, expect, it } from 'vitest';
import { emergenceAtResolution, firstKPerVariant, modelsAtResolution, resolutionOptions } from '../../../src/lib/charts/resolution.ts';
import { metricPanel, variantsOf } from '../../../src/lib/charts/series.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import { ladderResult, SPEC } from './fixtures.ts';

describe('resolution: aggregates over the first k items', () => {
  const result = ladderResult();

  it('offers the steps below the item count, then all', () => {
    expect(resolutionOptions(40)).toEqual([5, 10, 20, 'all']);
    expect(resolutionOptions(41)).toEqual([5, 10, 20, 40, 'all']);
    expect(resolutionOptions(3)).toEqual(['all']);
  });

  it('takes the first k items of each variant in order', () => {
    const items = result.models[0].items;
    const first = firstKPerVariant(items, 2);
    expect(first.map((i) => i.id)).toEqual(['add/1d-0', 'add/1d-1', 'add/2d-0', 'add/2d-1']);
    expect(firstKPerVariant(items, 'all')).toEqual(items);
    expect(() => firstKPerVariant(items, 0)).toThrow(RangeError);
  });

  it('k = all (or k ≥ n) keeps the stored aggregates exactly', () => {
    expect(modelsAtResolution(result.models, 'all', SPEC.bootstrapSeed)).toEqual(result.models);
    const atN = modelsAtResolution(result.models, 12, SPEC.bootstrapSeed);
    atN.forEach((m, i) => expect(m.aggregates).toBe(result.models[i].aggregates));
  });

  it('re-aggregates with the runner aggregation (same seed) over the first k items', () => {
    const at5 = modelsAtResolution(result.models, 5, SPEC.bootstrapSeed);
    at5.forEach((m, i) => {
      expect(m.aggregates.variants).toEqual(aggregateModelItems(firstKPerVariant(result.models[i].items, 5), { seed: SPEC.bootstrapSeed, model: m.id }));
      expect(m.aggregates.variants.every((v) => v.n === 5)).toBe(true);
      expect(m.items).toBe(result.models[i].items);
    });
  });

  it('more items reveal a small non-zero accuracy that few items read as zero', () => {
    // "mid" gets 1 of 12 two-digit items right, the last one.
    const variants = variantsOf(result);
    const mean = (k: 5 | 'all') =>
      metricPanel(modelsAtResolution(result.models, k, SPEC.bootstrapSeed), variants, 'exact_match', {})
        .series[1].points.find((p) => p.modelId === 'arith/mid')!.mean;
    expect(mean(5)).toBe(0);
    expect(mean('all')).toBeCloseTo(1 / 12, 12);
  });

  it('leaves unfinished models alone and recomputes emergence at the resolution', () => {
    const models = [...result.models, { ...result.models[0], id: 'arith/x', status: 'cancelled' as const }];
    const at5 = modelsAtResolution(models, 5, 1);
    expect(at5[3]).toBe(models[3]);
    const em = emergenceAtResolution(modelsAtResolution(result.models, 'all', 1));
    expect(em).toEqual(result.emergence);
  });
});
