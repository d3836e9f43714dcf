import { describe, expect, it } from 'vitest';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import { modelsAtResolution } from '../../../src/lib/charts/resolution.ts';
import { ladderResult } from '../charts/fixtures.ts';

describe('aggregating a subset of metrics (spec.metrics)', () => {
  it('gives exactly the numbers of the full aggregation for those metrics, and no others', () => {
    const items = ladderResult().models[2].items;
    const full = aggregateModelItems(items, { seed: 1, model: 'm' });
    const subset = aggregateModelItems(items, { seed: 1, model: 'm', metricIds: ['per_token_prob', 'exact_match'] });
    expect(subset.map((v) => v.variant)).toEqual(full.map((v) => v.variant));
    subset.forEach((v, i) => {
      expect(Object.keys(v.metrics).sort()).toEqual(['exact_match', 'per_token_prob']);
      expect(v.metrics.exact_match).toEqual(full[i].metrics.exact_match);
      expect(v.metrics.per_token_prob).toEqual(full[i].metrics.per_token_prob);
    });
  });

  it('re-aggregation at a resolution keeps the run’s metrics', () => {
    const run = ladderResult();
    const model = { ...run.models[1], aggregates: { variants: aggregateModelItems(run.models[1].items, { seed: 1, model: run.models[1].id, metricIds: ['token_edit_distance'] }) } };
    const [first5] = modelsAtResolution([model], 5, 1);
    expect(Object.keys(first5.aggregates.variants[0].metrics)).toEqual(['token_edit_distance']);
  });
});
