import { describe, expect, it } from 'vitest';
import { buildHeadline, defaultHeadlineVariant, headlinePanel, headlineSubject, normalise } from '../../../src/lib/charts/headline.ts';
import { computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import type { ModelRun } from '../../../src/lib/results/types.ts';
import { modelRun, SPEC } from './fixtures.ts';

const TASK = SPEC.task;
/** lp over a two-token answer for a per-token probability p: lp = 2 ln p. */
const lpOf = (p: number): number => 2 * Math.log(p);

/**
 * Bundled-ladder-like: exact match stuck near 0 then jumps between the 3rd and 4th model, while
 * the per-token probability rises steadily (12 items per variant; add/1d is the jumping variant).
 */
function jumpLadder(): ModelRun[] {
  const ps = [0.3, 0.42, 0.55, 0.72, 0.85];
  const right = [0, 0, 1, 10, 12];
  const params = [2400, 8256, 26784, 58608, 152704];
  return ps.map((p, i) => modelRun(`arith/m${i}`, params[i], { 'add/1d': right[i], 'add/2d': Math.min(right[i], 2) }, 12, lpOf(p)));
}

/** Exact match and per-token probability jump at the same step: the jump is in the models. */
function modelJumpLadder(): ModelRun[] {
  const ps = [0.2, 0.21, 0.22, 0.95, 0.96];
  const right = [0, 0, 0, 12, 12];
  return ps.map((p, i) => modelRun(`arith/m${i}`, 1000 * 3 ** i, { 'add/1d': right[i] }, 12, lpOf(p)));
}

describe('normalise', () => {
  it('min-max to 0–1, inverted where lower is better, null when flat', () => {
    expect(normalise([2, 4, 6], true)).toEqual({ ys: [0, 0.5, 1], min: 2, max: 6 });
    expect(normalise([2, 4, 6], false)).toEqual({ ys: [1, 0.5, 0], min: 2, max: 6 });
    expect(normalise([3, 3, 3], true)).toBeNull();
    expect(normalise([], true)).toBeNull();
  });
});

describe('headlineSubject', () => {
  it('names the variant and the operation', () => {
    expect(headlineSubject(TASK, 'add/4d')).toBe('4-digit addition');
    expect(headlineSubject({ kind: 'add-choice', digits: [2], perVariant: 10, seed: 1, choices: 4, kShot: 0 } as never, 'add-choice/2d')).toBe('2-digit addition (multiple choice)');
  });
});

describe('defaultHeadlineVariant', () => {
  it('picks the variant with the largest exact-match step', () => {
    expect(defaultHeadlineVariant(jumpLadder(), ['add/2d', 'add/1d'])).toBe('add/1d');
  });
  it('falls back to the first variant with data when nothing steps up', () => {
    const flat = [modelRun('arith/a', 10, { 'add/1d': 0, 'add/2d': 0 }), modelRun('arith/b', 20, { 'add/1d': 0, 'add/2d': 0 })];
    expect(defaultHeadlineVariant(flat, ['add/2d', 'add/1d'])).toBe('add/2d');
    expect(defaultHeadlineVariant([], [])).toBeNull();
  });
});

describe('buildHeadline', () => {
  it('bundled-ladder-like numbers: exact match jumps, p rises evenly, the jump is the metric’s (means)', () => {
    const h = buildHeadline({ models: jumpLadder(), variant: 'add/1d', task: TASK });
    expect(h.source).toBe('means');
    expect(h.series.map((s) => s.metric)).toEqual(['exact_match', 'per_token_prob', 'token_edit_distance']);
    for (const s of h.series) {
      expect(s.points).toHaveLength(5);
      expect(Math.min(...s.points.map((p) => p.y))).toBe(0);
      expect(Math.max(...s.points.map((p) => p.y))).toBe(1);
    }
    // Edit distance falls as models improve: inverted, its line rises.
    const ted = h.series[2];
    expect(ted.inverted).toBe(true);
    expect(ted.label).toBe('Token edit distance (inverted)');
    expect(ted.points[0].y).toBe(0);
    expect(ted.points[4].y).toBe(1);
    // EM means 0, 0, 1/12, 10/12, 1: largest step 9/12 of a total 12/12 → 75%, between 26.8K and 58.6K.
    expect(h.sentence).toContain('On 1-digit addition, exact match jumps: 75% of its rise happens in one step (26.8K → 58.6K params)');
    // p: 0.3 → 0.85 in steps 0.12, 0.13, 0.17, 0.13; largest 0.17/0.55 = 31%, also 26.8K → 58.6K; ratio 0.75/0.309 = 2.4.
    expect(h.sentence).toContain('per-token probability rises more evenly (largest step 31%, at the same step), so the jump is largely a property of the metric (mirage ratio 2.4)');
    expect(h.sentence).toContain('Jump shares from the means alone');
    // As a chart panel: one line per metric, values in [0, 1], no intervals.
    const panel = headlinePanel(h);
    expect(panel.series.map((s) => s.label)).toEqual(['Exact match', 'Per-token probability', 'Token edit distance (inverted)']);
    expect(panel.yLabel).toBe('Min-max normalised (0–1)');
    expect(panel.description).toContain('min-max over the ladder');
    expect(panel.series.flatMap((s) => s.points).every((p) => p.mean >= 0 && p.mean <= 1 && p.lo === p.mean && p.hi === p.mean)).toBe(true);
  });

  it('uses the run’s bootstrap measures, with the mirage ratio’s interval', () => {
    const models = jumpLadder();
    const measures = computeEmergenceMeasures(models, 1, { resamples: 200 });
    const h = buildHeadline({ models, variant: 'add/1d', task: TASK, measures: measures['add/1d'] });
    expect(h.source).toBe('measures');
    const ratio = measures['add/1d'].mirage.per_token_prob.jumpShare;
    if (!('lo' in ratio)) throw new Error('expected an interval');
    expect(h.sentence).toContain(`mirage ratio ${ratio.value.toFixed(1)}, 95% interval ${ratio.lo.toFixed(1)}–${ratio.hi.toFixed(1)}`);
    expect(h.sentence).not.toContain('means alone');
  });

  it('a jump in the models: p jumps at the same step, ratio near 1', () => {
    const h = buildHeadline({ models: modelJumpLadder(), variant: 'add/1d', task: TASK });
    expect(h.sentence).toMatch(/exact match jumps: 100% of its rise happens in one step \(9K → 27K params\); per-token probability jumps too \(largest step 9\d%, at the same step\), so the jump is in the models, not only in the metric \(mirage ratio 1\.\d\)/);
  });

  it('flat exact match: says there is no jump, and what the continuous metric does', () => {
    const models = [0.1, 0.2, 0.3].map((p, i) => modelRun(`arith/m${i}`, 10 ** (i + 3), { 'add/1d': 0 }, 12, lpOf(p)));
    const h = buildHeadline({ models, variant: 'add/1d', task: TASK });
    expect(h.series[0].points).toEqual([]);
    expect(h.series[0].missing).toBe('flat: 0.00 on every model');
    expect(h.series[1].points).toHaveLength(3);
    expect(h.sentence).toBe('On 1-digit addition, exact match is flat at 0.00 on all 3 models, so there is no jump to explain; per-token probability goes from 0.10 to 0.30 — the models improve below what exact scoring can see.');
  });

  it('a single model: no jump can be told, the values are given', () => {
    const h = buildHeadline({ models: [modelRun('arith/only', 5000, { 'add/1d': 6 }, 12, lpOf(0.5))], variant: 'add/1d', task: TASK });
    expect(h.sentence).toBe('On 1-digit addition, only one model (only, 5K params) has finished: exact match 0.50, per-token probability 0.50. A jump shows only along a ladder of at least 3 models.');
    // Nothing to normalise with one model: no line is drawn, and the legend says why.
    expect(h.series.every((s) => s.points.length === 0 && s.missing === 'one model: nothing to normalise')).toBe(true);
  });

  it('two models: the jump share is undefined, and says why', () => {
    const models = [modelRun('arith/a', 1000, { 'add/1d': 0 }, 12, lpOf(0.2)), modelRun('arith/b', 9000, { 'add/1d': 12 }, 12, lpOf(0.9))];
    const h = buildHeadline({ models, variant: 'add/1d', task: TASK });
    expect(h.sentence).toContain('exact match goes from 0.00 to 1.00 across 2 models; its jump share is undefined (needs at least 3 models');
  });

  it('a largest step that is a drop is not told as a jump', () => {
    const right = [0, 1, 12, 9];
    const models = right.map((r, i) => modelRun(`arith/m${i}`, 1000 * 10 ** i, { 'add/1d': r }, 12, lpOf(0.3 + 0.1 * i)));
    // EM 0, 1/12, 1, 3/4: steps 1/12, 11/12, 3/12 — a drop at the end, but the largest step is up: 11/15 = 73%.
    expect(buildHeadline({ models, variant: 'add/1d', task: TASK }).sentence).toContain('exact match jumps: 73% of its rise happens in one step (10K → 100K params)');
    const falling = [12, 11, 1, 0].map((r, i) => modelRun(`arith/m${i}`, 1000 * 10 ** i, { 'add/1d': r }, 12, lpOf(0.3)));
    expect(buildHeadline({ models: falling, variant: 'add/1d', task: TASK }).sentence).toBe(
      "On 1-digit addition, exact match's largest step is a drop (0.92 → 0.08 between 10K and 100K params), 83% of its total change along the ladder; a jump share says nothing about emergence here.",
    );
  });

  it('a gradual rise is called gradual', () => {
    const models = [0, 3, 7, 12].map((r, i) => modelRun(`arith/m${i}`, 1000 * 10 ** i, { 'add/1d': r }, 12, lpOf([0.2, 0.5, 0.6, 0.7][i])));
    // EM steps 3, 4, 5 twelfths: largest 5/12 = 42% (100K → 1M); p steps .3, .1, .1 → 60% (1K → 10K); ratio 0.42/0.6 = 0.7.
    expect(buildHeadline({ models, variant: 'add/1d', task: TASK }).sentence).toContain(
      'On 1-digit addition, exact match rises gradually: its largest step (100K → 1M params) holds 42% of its rise; per-token probability has its largest step 60%, at 1K → 10K (mirage ratio 0.7).',
    );
  });

  it('no model finished', () => {
    expect(buildHeadline({ models: [], variant: 'add/1d', task: TASK }).sentence).toBe('On 1-digit addition, no model has finished yet.');
  });

  it('a metric the run did not measure, and undefined measures from the run', () => {
    const models = jumpLadder().map((m) => ({
      ...m,
      aggregates: { variants: m.aggregates.variants.map((v) => ({ ...v, metrics: Object.fromEntries(Object.entries(v.metrics).filter(([k]) => k !== 'per_token_prob')) })) },
    }));
    const h = buildHeadline({ models, variant: 'add/1d', task: TASK });
    expect(h.series[1].missing).toBe('not measured in this run');
    expect(h.sentence).toContain('per-token probability was not measured in this run, so there is nothing to compare with');
    // Measures that say "undefined" are reported with their reason, not replaced by a number.
    const measures = {
      models: models.map((m) => m.id),
      reference: 'exact_match',
      metrics: { exact_match: { jumpShare: { undefined: 'the curve is flat: every model has the same value' }, breakthroughness: { undefined: 'x' } } },
      mirage: {},
    };
    const u = buildHeadline({ models, variant: 'add/1d', task: TASK, measures });
    expect(u.source).toBe('measures');
    expect(u.sentence).toContain('its jump share is undefined (the curve is flat: every model has the same value)');
  });

  it('a choice task: MC grade against the probability of the correct choice and the Brier score', () => {
    const cell = (mean: number) => ({ mean, lo: mean, hi: mean, n: 20 });
    const grade = [0.25, 0.25, 0.3, 0.9, 0.95];
    const prob = [0.25, 0.35, 0.45, 0.6, 0.7];
    const brier = [0.75, 0.7, 0.6, 0.4, 0.35];
    const models: ModelRun[] = grade.map((g, i) => ({
      id: `arith/c${i}`,
      params: 1000 * 2 ** i,
      dtype: 'fp32',
      device: 'wasm',
      status: 'done',
      error: null,
      loadMs: 0,
      scoreMs: 0,
      items: [],
      aggregates: { variants: [{ variant: 'add-choice/2d', n: 20, metrics: { mc_grade: cell(g), mc_grade_norm: cell(g), prob_correct: cell(prob[i]), brier_score: cell(brier[i]) } }] },
    }));
    const h = buildHeadline({ models, variant: 'add-choice/2d', task: { kind: 'add-choice', digits: [2], perVariant: 20, seed: 1, choices: 4, kShot: 0 } as never });
    expect(h.family).toBe('choice');
    expect(h.series.map((s) => [s.metric, s.inverted])).toEqual([['mc_grade', false], ['prob_correct', false], ['brier_score', true]]);
    // MC grade steps .0, .05, .6, .05 of .7: 86%; p(correct) steps .1 .1 .15 .1 of .45: 33%.
    expect(h.sentence).toContain('On 2-digit addition (multiple choice), MC grade jumps: 86% of its rise happens in one step (4K → 8K params); the probability of the correct choice rises more evenly (largest step 33%, at the same step)');
    expect(h.sentence).toContain('The Brier score: largest step 50%');
  });
});
