import { describe, expect, it } from 'vitest';
import { buildPanels, MIRAGE_PANEL_ID, overlayBaseline, panelRows, variantsOf } from '../../../src/lib/charts/series.ts';
import { ladderResult, modelRun, runResult } from './fixtures.ts';

describe('overlayBaseline: then (dashed) and here (solid) on the same charts', () => {
  const then = ladderResult();
  // The re-run: one model so far, with other numbers.
  const here = runResult([modelRun('arith/small', 1000, { 'add/1d': 6, 'add/2d': 0 }, 12, -2)]);
  const variants = variantsOf(then);
  const ids = ['exact_match', 'per_token_prob', MIRAGE_PANEL_ID];
  const panels = overlayBaseline(buildPanels(here.models, variants, {}, ids), buildPanels(then.models, variants, {}, ids));

  it('each metric panel has the baseline line before the new run’s, same colour, dashed, labelled', () => {
    const em = panels.find((p) => p.id === 'exact_match')!;
    expect(em.series.map((s) => [s.label, s.run, s.dashed])).toEqual([
      ['1-digit (then)', 'then', true],
      ['1-digit (here)', 'here', false],
      ['2-digit (then)', 'then', true],
      ['2-digit (here)', 'here', false],
    ]);
    expect(em.series[0].colorIndex).toBe(em.series[1].colorIndex);
    expect(new Set(em.series.map((s) => s.key)).size).toBe(4);
    // The baseline keeps every model; the re-run has what finished.
    expect(em.series[0].points.map((p) => p.mean)).toEqual(then.models.slice().sort((a, b) => a.params! - b.params!).map((m) => m.aggregates.variants[0].metrics.exact_match.mean));
    expect(em.series[1].points.map((p) => p.mean)).toEqual([0.5]);
    const rows = panelRows(em);
    expect(rows.filter((r) => r.run === 'then')).toHaveLength(6);
    expect(rows.filter((r) => r.run === 'here')).toHaveLength(2);
  });

  it('the mirage overlay (already dashed for p^L) shows the new run only, and says so', () => {
    const mirage = panels.find((p) => p.id === MIRAGE_PANEL_ID);
    expect(mirage?.series.every((s) => s.run === undefined)).toBe(true);
    expect(mirage?.description).toContain('This run only');
  });

  it('without a baseline panel of the same metric, a panel is unchanged', () => {
    const alone = overlayBaseline(buildPanels(here.models, variants, {}, ['exact_match']), []);
    expect(alone[0].series.every((s) => s.run === undefined && !s.dashed)).toBe(true);
  });
});
