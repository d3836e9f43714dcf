import { describe, expect, it } from 'vitest';
import {
  buildPanels,
  DEFAULT_PANELS,
  domainOfParams,
  metricPanel,
  miragePanel,
  panelRows,
  paramsDomain,
  plottableModels,
  totalPoints,
  variantsOf,
} from '../../../src/lib/charts/series.ts';
import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { ladderResult, modelRun, runResult } from './fixtures.ts';

describe('chart series from a run result', () => {
  const result = ladderResult();
  const variants = variantsOf(result);

  it('variants follow the spec digit order', () => {
    expect(variants).toEqual(['add/1d', 'add/2d']);
  });

  it('one point per finished model per variant, ordered by parameter count, values from the aggregates', () => {
    const panel = metricPanel(result.models, variants, 'exact_match', result.emergence_measures!);
    expect(panel.series.map((s) => s.variant)).toEqual(variants);
    for (const s of panel.series) {
      expect(s.points.map((p) => p.params)).toEqual([1000, 10000, 100000]);
      for (const p of s.points) {
        const agg = result.models.find((m) => m.id === p.modelId)!.aggregates.variants.find((v) => v.variant === s.variant)!.metrics.exact_match;
        expect([p.mean, p.lo, p.hi, p.n]).toEqual([agg.mean, agg.lo, agg.hi, agg.n]);
      }
    }
    expect(panel.series[0].points.map((p) => p.mean)).toEqual([0, 3 / 12, 1]);
  });

  it('takes labels, kind and axis range from the METRICS registry', () => {
    const em = metricPanel(result.models, variants, 'exact_match', result.emergence_measures!);
    expect([em.title, em.kind, em.yMin, em.yMax]).toEqual(['Exact match', 'discontinuous', 0, 1]);
    const lp = metricPanel(result.models, variants, 'target_logprob', result.emergence_measures!);
    expect([lp.kind, lp.yMin, lp.yMax]).toEqual(['continuous', null, 0]);
  });

  it('attaches the run’s emergence measures of each variant, as text without sentinels', () => {
    const panel = metricPanel(result.models, variants, 'exact_match', result.emergence_measures!);
    expect(panel.measures.map((m) => [m.variant, m.metric])).toEqual(variants.map((v) => [v, 'exact_match']));
    panel.measures.forEach((m) => {
      expect(m.jumpShare).toEqual(result.emergence_measures![m.variant].metrics.exact_match.jumpShare);
      expect(m.breakthroughness).toEqual(result.emergence_measures![m.variant].metrics.exact_match.breakthroughness);
      // Exact match is the reference: it has no mirage ratio of its own.
      expect(m.mirage).toBeNull();
      expect(`${m.text.jumpShare} ${m.text.breakthroughness}`).not.toMatch(/e\+|1000000|NaN|Infinity/);
    });
    const p = metricPanel(result.models, variants, 'per_token_prob', result.emergence_measures!);
    p.measures.forEach((m) => expect(m.mirage).toEqual(result.emergence_measures![m.variant].mirage.per_token_prob.jumpShare));
  });

  it('the mirage overlay pairs observed exact match (solid) with p^L (dashed) per variant', () => {
    const panel = miragePanel(result.models, variants, result.emergence_measures!);
    expect(panel.series.map((s) => [s.metric, s.variant, s.dashed])).toEqual([
      ['exact_match', 'add/1d', false],
      ['predicted_exact_match', 'add/1d', true],
      ['exact_match', 'add/2d', false],
      ['predicted_exact_match', 'add/2d', true],
    ]);
    // A variant keeps its colour across the pair.
    expect(panel.series[0].colorIndex).toBe(panel.series[1].colorIndex);
    expect(panel.series[1].points[0].mean).toBeCloseTo(Math.exp(-4), 12);
  });

  it('buildPanels puts discontinuous metrics before continuous ones, then the overlay', () => {
    const all = buildPanels(result.models, variants, result.emergence_measures!, [...GENERATION_METRIC_IDS, 'mirage']);
    const kinds = all.map((p) => p.kind);
    expect(kinds.lastIndexOf('discontinuous')).toBeLessThan(kinds.indexOf('continuous'));
    expect(all.at(-1)!.id).toBe('mirage');
    expect(all).toHaveLength(GENERATION_METRIC_IDS.length + 1);
    expect(buildPanels(result.models, variants, result.emergence_measures!, DEFAULT_PANELS).map((p) => p.id)).toEqual([
      'exact_match',
      'token_edit_distance',
      'target_logprob',
      'per_token_prob',
      'mirage',
    ]);
  });

  it('leaves out failed models and models without a parameter count', () => {
    const failed = { ...modelRun('arith/failed', 5000, { 'add/1d': 0 }), status: 'error' as const, error: 'boom', items: [], aggregates: { variants: [] } };
    const unknown = modelRun('arith/unknown', null, { 'add/1d': 1, 'add/2d': 1 });
    const r = runResult([...ladderResult().models, failed, unknown]);
    expect(plottableModels(r.models).map((m) => m.id)).toEqual(['arith/small', 'arith/mid', 'arith/big']);
    const panel = metricPanel(r.models, variants, 'per_token_prob', r.emergence_measures!);
    expect(totalPoints(panel)).toBe(3 * variants.length);
  });

  it('table rows list every point with its series label', () => {
    const panel = metricPanel(result.models, variants, 'exact_match', result.emergence_measures!);
    const rows = panelRows(panel);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatchObject({ seriesLabel: '1-digit', modelId: 'arith/small', params: 1000 });
  });

  it('the x domain is padded around the parameter counts; empty without models', () => {
    const d = paramsDomain(result.models, 2)!;
    expect([d.min, d.max]).toEqual([500, 200000]);
    expect(paramsDomain([])).toBeNull();
    expect(domainOfParams([null, 10, 1000], 2)).toEqual({ min: 5, max: 2000 });
    expect(domainOfParams([null])).toBeNull();
  });
});

describe('availablePanels', () => {
  it('offers one panel per aggregated metric and the overlay only with both of its metrics', async () => {
    const { availablePanels, MIRAGE_PANEL_ID } = await import('../../../src/lib/charts/series.ts');
    expect(availablePanels(['exact_match', 'predicted_exact_match'])).toEqual(['exact_match', 'predicted_exact_match', MIRAGE_PANEL_ID]);
    expect(availablePanels(['token_edit_distance'])).toEqual(['token_edit_distance']);
    expect(availablePanels(['exact_match'])).not.toContain(MIRAGE_PANEL_ID);
  });
});
