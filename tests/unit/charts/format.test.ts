import type { GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatParams, formatRate, formatValue, modelLabel, variantLabel } from '../../../src/lib/charts/format.ts';
import { formatJumpShare, formatMeasure } from '../../../src/lib/charts/measures.ts';
import { chartFileName, runFileName, runResultJson } from '../../../src/lib/charts/export.ts';
import { OKABE_ITO, seriesColor, seriesPointStyle, withAlpha } from '../../../src/lib/charts/palette.ts';
import { logTicks, tickMantissas, toPlotDatasets } from '../../../src/lib/charts/plot.ts';
import { filterItems, ITEM_METRIC_COLUMNS, itemMetricText, metricColumnsFor, outputText } from '../../../src/lib/charts/items.ts';
import { miragePanel, variantsOf } from '../../../src/lib/charts/series.ts';
import { CHOICE_METRIC_IDS, GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import { item, ladderResult } from './fixtures.ts';

describe('formatting', () => {
  it('parameter counts', () => {
    expect([2400, 26784, 798592, 1_234_567, 7e9, 12].map(formatParams)).toEqual(['2.4K', '26.8K', '799K', '1.2M', '7B', '12']);
  });
  it('values, variants, models, durations, rates', () => {
    expect(formatValue(null)).toBe('–');
    expect(formatValue(0.12345)).toBe('0.123');
    expect(formatValue(0.00001)).toBe('1.0e-5');
    expect(variantLabel('add/3d')).toBe('3-digit');
    expect(variantLabel('odd')).toBe('odd');
    expect(modelLabel('arith/arith-l1-d12')).toBe('arith-l1-d12');
    expect([500, 12_400, 185_000].map(formatDuration)).toEqual(['<1 s', '12 s', '3 min 05 s']);
    // Measures: a number with its interval, a number without one (with the reason), or undefined with the reason; never a sentinel.
    expect(formatMeasure({ value: 0.8612, lo: 0.75, hi: 0.951 })).toBe('0.86 [0.75, 0.95]');
    expect(formatMeasure({ value: 154.2, lo: 101, hi: 223.4 })).toBe('154 [101, 223]');
    expect(formatMeasure({ value: 22.41, intervalUndefined: 'in 40% of resamples the measure is undefined' })).toBe('22.4 (no interval: in 40% of resamples the measure is undefined)');
    expect(formatMeasure({ undefined: 'the curve is flat in most steps' })).toBe('undefined — the curve is flat in most steps');
    expect(formatJumpShare({ value: 0.93, lo: 0.8, hi: 0.97, step: 1, delta: 0.9 }, [{ id: 'a', params: 8256 }, { id: 'b', params: 26_784 }, { id: 'c', params: 58_608 }])).toBe('0.93 [0.80, 0.97], largest step 26.8K → 58.6K');
    expect([null, 250.4, 12_345].map(formatRate)).toEqual(['–', '250 tok/s', '12.3K tok/s']);
  });
});

describe('palette (Okabe–Ito)', () => {
  it('every series colour is an Okabe–Ito colour; black turns light grey in the dark theme', () => {
    const colors = Object.values(OKABE_ITO) as string[];
    for (let i = 0; i < 8; i++) expect(colors).toContain(seriesColor(i, 'light'));
    expect(new Set(Array.from({ length: 8 }, (_, i) => seriesColor(i, 'light'))).size).toBe(8);
    expect(seriesColor(7, 'dark')).toBe('#DDDDDD');
    expect(seriesPointStyle(0)).not.toBe(seriesPointStyle(1));
    expect(withAlpha('#E69F00', 0.5)).toBe('rgba(230, 159, 0, 0.5)');
  });
});

describe('plot datasets', () => {
  it('carry the panel points with their intervals; dashed series for p^L', () => {
    const r = ladderResult();
    const panel = miragePanel(r.models, variantsOf(r), r.emergence_measures!);
    const ds = toPlotDatasets(panel, 'light');
    expect(ds).toHaveLength(4);
    expect(ds[1].borderDash.length).toBeGreaterThan(0);
    expect(ds[0].data.map((p) => [p.x, p.y, p.lo, p.hi])).toEqual(panel.series[0].points.map((p) => [p.params, p.mean, p.lo, p.hi]));
    expect(ds[0].borderColor).toBe(ds[1].borderColor);
  });
  it('log ticks at 1, 2, 5 × 10^k', () => {
    expect(logTicks(1500, 60000)).toEqual([2000, 5000, 10000, 20000, 50000]);
    expect(logTicks(0, 10)).toEqual([]);
    expect(logTicks(1500, 1.3e6, tickMantissas(300))).toEqual([3e3, 1e4, 3e4, 1e5, 3e5, 1e6]);
    expect(tickMantissas(600)).toEqual([1, 2, 5]);
  });
});

describe('item explorer', () => {
  const items = [item('add/1d', 0, true), item('add/1d', 1, false), item('add/2d', 12, false)];
  it('filters by variant, correctness and text', () => {
    expect(filterItems(items, { variant: 'add/1d', correctness: 'all', query: '' })).toHaveLength(2);
    expect(filterItems(items, { variant: 'all', correctness: 'right', query: '' }).map((i) => i.id)).toEqual(['add/1d-0']);
    expect(filterItems(items, { variant: 'all', correctness: 'wrong', query: '' })).toHaveLength(2);
    expect(filterItems(items, { variant: 'all', correctness: 'all', query: '12+' }).map((i) => i.id)).toEqual(['add/2d-12']);
  });
  it('has a column for every metric, and generation items get the generation ones', () => {
    expect(ITEM_METRIC_COLUMNS.map((c) => c.id)).toEqual([...GENERATION_METRIC_IDS, ...CHOICE_METRIC_IDS]);
    expect(metricColumnsFor(items).map((c) => c.id)).toEqual([...GENERATION_METRIC_IDS]);
    expect(itemMetricText(items[0], ITEM_METRIC_COLUMNS[0])).toBe('1');
    expect(outputText({ ...(items[0] as GenerationItemRecord), output_text: '' })).toBe('(empty)');
  });
});

describe('export', () => {
  it('writes the results file exactly as the CLI does', () => {
    const r = ladderResult();
    expect(runResultJson(r)).toBe(JSON.stringify(r, null, 1) + '\n');
    expect(JSON.parse(runResultJson(r))).toEqual(r);
    expect(runFileName(r)).toBe('emergence-run-add-2026-01-02-03-04-06.json');
    expect(chartFileName('exact_match', 5)).toBe('emergence-exact_match-first5.png');
  });
});
