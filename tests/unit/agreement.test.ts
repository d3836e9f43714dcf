/** Agreement of a run with the reference (src/lib/results/agreement.ts): same greedy output, largest log-prob difference. */
import { describe, expect, it } from 'vitest';
import { compareWithReference, describeAgreement, formatDiff, sameExperiment } from '../../src/lib/results/agreement.ts';
import { computeChoiceMetrics } from '../../src/lib/metrics/item.ts';
import type { ChoiceItemRecord, GenerationItemRecord, ModelRun } from '../../src/lib/results/types.ts';
import type { ExperimentSpec } from '../../src/lib/spec/schema.ts';
import { modelRun, SPEC } from './charts/fixtures.ts';

/** A deep copy whose items can be edited without touching the original. */
function copy(m: ModelRun): ModelRun {
  return structuredClone(m);
}

function gen(m: ModelRun, i: number): GenerationItemRecord {
  return m.items[i] as GenerationItemRecord;
}

describe('sameExperiment', () => {
  it('ignores each model\u2019s device and key order, nothing else', () => {
    const onGpu: ExperimentSpec = { ...SPEC, models: SPEC.models.map((m) => ({ ...m, device: 'webgpu' })) };
    expect(sameExperiment(SPEC, onGpu)).toBe(true);
    const reordered = JSON.parse(JSON.stringify({ bootstrapSeed: SPEC.bootstrapSeed, models: SPEC.models, task: SPEC.task, metrics: SPEC.metrics, appVersion: SPEC.appVersion, version: SPEC.version, format: SPEC.format })) as ExperimentSpec;
    expect(sameExperiment(SPEC, reordered)).toBe(true);
  });

  it('tells apart a different seed, item count, dtype, model list, app version or metric list', () => {
    const variants: ExperimentSpec[] = [
      { ...SPEC, task: { ...SPEC.task, seed: 8 } as ExperimentSpec['task'] },
      { ...SPEC, task: { ...SPEC.task, perVariant: 13 } as ExperimentSpec['task'] },
      { ...SPEC, models: SPEC.models.map((m, i) => (i === 0 ? { ...m, dtype: 'q8' } : m)) },
      { ...SPEC, models: SPEC.models.slice(1) },
      { ...SPEC, models: [...SPEC.models].reverse() },
      { ...SPEC, appVersion: '0.2.0' },
      { ...SPEC, metrics: ['exact_match'] },
      { ...SPEC, bootstrapSeed: 2 },
    ];
    for (const v of variants) expect(sameExperiment(SPEC, v)).toBe(false);
  });
});

describe('compareWithReference', () => {
  const ref = [modelRun('arith/small', 100, { 'add/1d': 6, 'add/2d': 2 }), modelRun('arith/big', 1000, { 'add/1d': 12, 'add/2d': 9 })];

  it('an identical run agrees on every item with a log-prob difference of 0', () => {
    const a = compareWithReference({ models: ref }, { models: ref.map(copy) });
    expect(a).toMatchObject({ compared: 48, agree: 48, models: 2, notCompared: 0, maxLogprobDiff: 0, disagreements: [] });
    expect(describeAgreement(a)).toBe('48 of 48 items agree with the reference (same greedy output); largest log-prob difference 0 nats.');
  });

  it('counts an item whose output tokens differ, names it, and finds the largest log-prob difference', () => {
    const here = ref.map(copy);
    // Item 0 of the small model was wrong ("x", token 3) in the reference; here it outputs another wrong answer.
    const changed = gen(here[0], 0);
    changed.output_text = 'y';
    changed.output_token_ids = [4];
    // Same output, slightly different log-probs (another kernel's rounding).
    gen(here[1], 5).target_logprobs = [gen(ref[1], 5).target_logprobs[0] + 3e-6, gen(ref[1], 5).target_logprobs[1]];
    const a = compareWithReference({ models: ref }, { models: here });
    expect(a.compared).toBe(48);
    expect(a.agree).toBe(47);
    expect(a.disagreements).toEqual([{ modelId: 'arith/small', itemId: changed.id, variant: 'add/1d', reference: 'x', here: 'y' }]);
    expect(a.maxLogprobDiff).toBeCloseTo(3e-6, 12);
    expect(a.maxLogprobDiffAt).toEqual({ modelId: 'arith/big', itemId: gen(ref[1], 5).id });
    expect(describeAgreement(a)).toBe('47 of 48 items agree with the reference (same greedy output); largest log-prob difference 3.0e-6 nats.');
  });

  it('the same text from other tokens is a different greedy output', () => {
    const here = ref.map(copy);
    gen(here[1], 0).output_token_ids = [...gen(here[1], 0).output_token_ids, 9];
    expect(compareWithReference({ models: ref }, { models: here }).agree).toBe(47);
  });

  it('skips models that did not finish here and says how many reference items were not re-run', () => {
    const here = ref.map(copy);
    here[1] = { ...here[1], status: 'cancelled', items: here[1].items.slice(0, 3) };
    const a = compareWithReference({ models: ref }, { models: here });
    expect(a).toMatchObject({ compared: 24, agree: 24, models: 1, notCompared: 24 });
    expect(describeAgreement(a)).toContain('(24 reference items not re-run)');
    const none = compareWithReference({ models: ref }, { models: [] });
    expect(none.compared).toBe(0);
    expect(none.maxLogprobDiff).toBeNull();
    expect(describeAgreement(none)).toMatch(/No item could be compared/);
  });

  it('log-probs of different target tokens are not compared', () => {
    const here = ref.map(copy);
    const it0 = gen(here[0], 0);
    it0.target_token_ids = [7, 8];
    it0.target_logprobs = [-50, -50];
    const a = compareWithReference({ models: ref }, { models: here });
    expect(a.maxLogprobDiff).toBe(0);
  });

  it('choice items agree when the preferred choice is the same; their log-likelihoods are compared', () => {
    const choice = (id: string, lps: number[]): ChoiceItemRecord => ({
      kind: 'choice',
      id,
      variant: 'choice/2d',
      prompt: '12+30=',
      target: '42',
      meta: { operation: 'add', digits: 2, a: 12, b: 30 },
      choices: ['42', '41', '52'],
      target_delimiter: ' ',
      answer_index: 0,
      target_scores: null,
      choice_logprobs: lps,
      choice_token_counts: [2, 2, 2],
      choice_is_greedy: [true, false, false],
      metrics: computeChoiceMetrics({ choices: ['42', '41', '52'], choiceLogprobs: lps, answerIndex: 0 }),
    });
    const base = { ...ref[0], items: [choice('c0', [-1, -2, -3]), choice('c1', [-2, -1, -3])] };
    const here = { ...base, items: [choice('c0', [-1.001, -2, -3]), choice('c1', [-1, -2, -3])] };
    const a = compareWithReference({ models: [base] }, { models: [here] });
    expect(a.compared).toBe(2);
    expect(a.agree).toBe(1);
    expect(a.disagreements[0]).toMatchObject({ itemId: 'c1', reference: '41', here: '42' });
    expect(a.maxLogprobDiff).toBeCloseTo(1, 9);
  });
});

describe('formatDiff', () => {
  it('reads as people write small numbers', () => {
    expect(formatDiff(0)).toBe('0');
    expect(formatDiff(2.44e-6)).toBe('2.4e-6');
    expect(formatDiff(0.0134)).toBe('0.013');
    expect(formatDiff(Infinity)).toBe('unbounded');
  });
});
