/** The run format's emergence measures: range-checked, "undefined" with a reason representable, no sentinels. */
import { describe, expect, it } from 'vitest';
import { computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import { parseRunFile, serializeRunFile } from '../../../src/lib/share/index.ts';
import { syntheticRun } from './synthetic-run.ts';

const run = syntheticRun({ models: 3, digits: [1, 2], perVariant: 8 });

describe('emergence_measures in run files', () => {
  it('round-trip, with defined and undefined measures', () => {
    // Exact match all right on 1-digit items: its measures are undefined, the others defined.
    const flat = run.models.map((m) => ({ ...m, items: m.items.map((it) => (it.variant === 'add/1d' ? { ...it, metrics: { ...it.metrics, exact_match: 1 } } : it)) }));
    const mixed = { ...run, emergence_measures: computeEmergenceMeasures(flat, 1) };
    const back = parseRunFile(serializeRunFile(mixed));
    expect(back.emergence_measures).toEqual(mixed.emergence_measures);
    expect(back.intervals).toBe('standard');
    const all = Object.values(mixed.emergence_measures).flatMap((v) => Object.values(v.metrics).flatMap((m) => [m.jumpShare, m.breakthroughness]));
    expect(all.some((m) => 'undefined' in m)).toBe(true);
    expect(all.some((m) => 'lo' in m)).toBe(true);
  });

  it('refuse sentinels, inverted intervals, jump shares outside [0, 1] and unknown fields', () => {
    const variant = Object.keys(run.emergence_measures!)[0];
    const edits: ((m: Record<string, any>) => void)[] = [
      (m) => (m.metrics.exact_match.breakthroughness = { value: 1e12, lo: 1e12, hi: 1e12 }),
      (m) => (m.metrics.exact_match.breakthroughness = { value: 2, lo: 3, hi: 4 }),
      (m) => (m.metrics.per_token_prob.jumpShare = { value: 1.2, lo: 1, hi: 1.3, step: 0, delta: 1 }),
      (m) => (m.metrics.per_token_prob.breakthroughness = { undefined: '' }),
      (m) => (m.mirage.per_token_prob.jumpShare = { value: 1, lo: 1, hi: 1, extra: 3 }),
      (m) => (m.metrics.exact_match.breakthroughness = { value: 'NaN' }),
    ];
    for (const edit of edits) {
      const bad = JSON.parse(serializeRunFile(run));
      edit(bad.emergence_measures[variant]);
      expect(() => parseRunFile(JSON.stringify(bad))).toThrow();
    }
  });

  it('a ladder of one or two models, all-equal values or one item: undefined with the reason, nothing throws', () => {
    const two = computeEmergenceMeasures(run.models.slice(0, 2), 1);
    expect(Object.values(two).every((v) => Object.values(v.metrics).every((m) => 'undefined' in m.jumpShare && /3 models/.test(m.jumpShare.undefined)))).toBe(true);
    const flat = run.models.map((m) => ({ ...m, items: m.items.map((it) => ({ ...it, metrics: { ...it.metrics, exact_match: 1 } })) }));
    const f = computeEmergenceMeasures(flat, 1);
    expect(f['add/1d'].metrics.exact_match.jumpShare).toEqual({ undefined: 'the curve is flat: every model has the same value' });
    const oneItem = run.models.map((m) => ({ ...m, items: m.items.filter((it) => it.id.endsWith('-0')) }));
    expect(() => computeEmergenceMeasures(oneItem, 1)).not.toThrow();
  });
});
