import { describe, expect, it } from 'vitest';
import { exportFooter, exportLegend, wrapText } from '../../../src/lib/charts/export.ts';
import { buildPanels, MIRAGE_PANEL_ID, overlayBaseline, variantsOf } from '../../../src/lib/charts/series.ts';
import { ladderResult } from './fixtures.ts';

describe('PNG export text', () => {
  const run = ladderResult();
  const variants = variantsOf(run);

  it('the legend has one entry per series: colour, shape, solid or dashed', () => {
    const [em, mirage] = buildPanels(run.models, variants, {}, ['exact_match', MIRAGE_PANEL_ID]);
    expect(exportLegend(em, 'light')).toEqual([
      { label: '1-digit', color: '#E69F00', shape: 'circle', dashed: false },
      { label: '2-digit', color: '#56B4E9', shape: 'triangle', dashed: false },
    ]);
    expect(exportLegend(mirage, 'light').map((e) => [e.label, e.dashed])).toEqual([
      ['1-digit observed', false],
      ['1-digit p^L', true],
      ['2-digit observed', false],
      ['2-digit p^L', true],
    ]);
    const [overlay] = overlayBaseline([em], [em]);
    expect(exportLegend(overlay, 'dark').map((e) => [e.label, e.dashed])).toEqual([
      ['1-digit (then)', true],
      ['1-digit (here)', false],
      ['2-digit (then)', true],
      ['2-digit (here)', false],
    ]);
  });

  it('the footer names the models, n, seeds, backend and date', () => {
    const info = { models: run.models.map((m) => ({ id: m.id, params: m.params })), perVariant: 12, taskSeed: 7, bootstrapSeed: 1, backend: 'wasm', date: '2026-01-02T03:04:06.000Z' };
    expect(exportFooter(info)).toEqual(['3 models: small (1K), big (100K), mid (10K)', 'n = 12 items per variant · task seed 7 · bootstrap seed 1 · backend wasm · 2026-01-02 03:04 UTC · Emergence Lab']);
    expect(exportFooter({ ...info, date: null, backend: null, origin: 'a shared run' }, 5)[1]).toBe('n = first 5 of 12 items per variant · task seed 7 · bootstrap seed 1 · date unknown · a shared run · Emergence Lab');
  });

  it('wraps text to a width, never splitting a word', () => {
    const measure = (s: string) => s.length;
    expect(wrapText('one two three four', 9, measure)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('averyveryverylongword x', 5, measure)).toEqual(['averyveryverylongword', 'x']);
    expect(wrapText('  ', 10, measure)).toEqual([]);
  });
});
