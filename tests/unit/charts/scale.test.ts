import { describe, expect, it } from 'vitest';
import { measuresAtResolution } from '../../../src/lib/charts/resolution.ts';
import { defaultPredictionVariant, predictableVariants, predictionView, scaleFactsOf, xAxisChoices, xValuesOf } from '../../../src/lib/charts/scale.ts';
import { computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import { panelRows } from '../../../src/lib/charts/series.ts';
import type { GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { firstKPerVariant } from '../../../src/lib/charts/resolution.ts';
import { ladderResult, SPEC, testLadder } from './fixtures.ts';

describe('x axis choices', () => {
  const ladder = testLadder([
    ['small', 1000],
    ['mid', 10000],
    ['big', 100000],
  ]);
  const result = ladderResult();

  it('offers non-embedding parameters from the ladder manifest and hides compute where tokens are unknown', () => {
    // testLadder has trainTokens 0: no training compute can be computed, so the axis is not offered.
    expect(xAxisChoices(result.models, ladder).map((a) => a.id)).toEqual(['params', 'non_embedding_params']);
    const withTokens = { ...ladder, models: ladder.models.map((m) => ({ ...m, trainTokens: 1e6 })) };
    expect(xAxisChoices(result.models, withTokens).map((a) => a.id)).toEqual(['params', 'non_embedding_params', 'train_compute']);
    const x = xValuesOf(result.models, 'train_compute', withTokens);
    expect(x.get('arith/small')).toBe(6 * 1000 * 1e6);
    expect(xValuesOf(result.models, 'non_embedding_params', ladder).get('arith/mid')).toBe(9000);
  });

  it('Hub models: compute from published token counts where known, never non-embedding parameters', () => {
    expect(scaleFactsOf({ id: 'Xenova/pythia-14m', params: 14e6 }, null)).toMatchObject({ trainTokens: 299_892_736_000, nonEmbeddingParams: null });
    expect(scaleFactsOf({ id: 'Xenova/gpt2', params: 124e6 }, null).trainTokens).toBeNull();
    expect(xAxisChoices([{ id: 'Xenova/gpt2', params: 124e6, status: 'done' }], null).map((a) => a.id)).toEqual(['params']);
  });
});

describe('was the jump predictable? (panel shaping)', () => {
  const result = ladderResult();

  it('fits below the rung before the largest exact-match step and says the numbers', () => {
    expect(predictableVariants(result.models, ['add/1d', 'add/2d'])).toEqual(['add/1d', 'add/2d']);
    // add/1d: 0 → 3/12 → 12/12 by scale: the largest step is mid → big, one rung above the two fitted.
    expect(defaultPredictionVariant(result.models, ['add/1d', 'add/2d'])).toBe('add/1d');
    const view = predictionView(result.models, 'add/1d', SPEC.bootstrapSeed, null, SPEC.task, () => null);
    expect(view.cutoff).toBe(1);
    expect(view.defaultCutoff).toBe(1);
    expect(view.text).toMatch(/^fit of per-token p on 2 models ≤ 10K \(the rung before the largest exact-match step\); 100K: predicted 0\.\d\d \[0\.\d\d, 0\.\d\d\], naive \d\.\d\d, observed 1\.00$/);
    expect(view.panel!.series.map((s) => s.key)).toEqual(['observed|add/1d', 'predicted|add/1d', 'naive|add/1d']);
    expect(view.panel!.series.every((s) => s.points.length === 3)).toBe(true);
    // Observed and naive share a metric id: table rows are keyed by series (the page keys its rows so).
    const rows = panelRows(view.panel!);
    expect(new Set(rows.map((r) => `${r.seriesKey}|${r.modelId}`)).size).toBe(rows.length);
    expect(view.cutoffs.map((c) => c.index)).toEqual([1]);
  });

  it('says why when it cannot predict: a cut-off with one model below it, or no answer lengths (a link view)', () => {
    const one = predictionView(result.models, 'add/1d', SPEC.bootstrapSeed, 0, SPEC.task, () => null);
    expect(one.panel).toBeNull();
    expect(one.text).toMatch(/^undefined — /);
    const linkView = structuredClone(result);
    for (const m of linkView.models) for (const it of m.items as GenerationItemRecord[]) it.target_token_ids = [];
    expect(predictionView(linkView.models, 'add/1d', SPEC.bootstrapSeed, null, SPEC.task, () => null).text).toMatch(/answer lengths/);
  });
});

describe('emergence measures at a resolution', () => {
  const result = ladderResult();
  it('keeps the run’s measures at "all" and recomputes them from the first k items otherwise', () => {
    expect(measuresAtResolution(result.models, 'all', 1, result.emergence_measures)).toBe(result.emergence_measures);
    const at5 = measuresAtResolution(result.models, 5, SPEC.bootstrapSeed);
    expect(at5).toEqual(computeEmergenceMeasures(result.models.map((m) => ({ ...m, items: firstKPerVariant(m.items, 5) })), SPEC.bootstrapSeed));
    // With the first 5 items, "mid" (its 3 right answers are the last ones) reads 0 on 1-digit
    // items: all the change is in one step (jump share 1), against 0.75 with every item.
    expect(at5['add/1d'].metrics.exact_match.jumpShare).toMatchObject({ value: 1, step: 1 });
    expect(result.emergence_measures!['add/1d'].metrics.exact_match.jumpShare).toMatchObject({ value: 0.75, step: 1 });
  });
});
