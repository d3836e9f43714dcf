import { describe, expect, it } from 'vitest';
import {
  brierScore,
  computeChoiceMetrics,
  computeItemMetrics,
  emergenceScore,
  greedyConsistency,
  mcGrade,
  mcGradeNorm,
  meanWithBootstrapCI,
  MetricError,
  perTokenProb,
  predictedExactMatch,
  probCorrect,
  softmax,
  targetLogprob,
  type RawChoiceOutput,
  type RawGenerationOutput,
} from '../../../src/lib/metrics/index.ts';

const gen: RawGenerationOutput = {
  target: '42',
  targetTokenIds: [19, 0],
  targetLogprobs: [-0.1, -0.2],
  targetIsArgmax: [true, true],
  outputText: '42',
  outputTokenIds: [19, 0],
};
const mc: RawChoiceOutput = { choices: [' A', ' B', ' C'], choiceLogprobs: [-1, -2, -3], answerIndex: 0 };

function expectMetricError(fn: () => unknown, message: RegExp): void {
  expect(fn).toThrow(MetricError);
  expect(fn).toThrow(message);
}

describe('computeItemMetrics rejects invalid input with MetricError', () => {
  it('NaN and infinite log-probs', () => {
    expectMetricError(() => computeItemMetrics({ ...gen, targetLogprobs: [NaN, -0.2] }), /targetLogprobs\[0\] is NaN/);
    expectMetricError(() => computeItemMetrics({ ...gen, targetLogprobs: [-0.1, -Infinity] }), /-Infinity/);
    expectMetricError(() => computeItemMetrics({ ...gen, targetLogprobs: [Infinity, -0.2] }), /Infinity/);
  });
  it('positive log-probs beyond rounding', () => {
    expectMetricError(() => computeItemMetrics({ ...gen, targetLogprobs: [0.5, -0.2] }), /must be ≤ 0/);
  });
  it('length mismatches', () => {
    expectMetricError(() => computeItemMetrics({ ...gen, targetLogprobs: [-0.1] }), /same length/);
    expectMetricError(() => computeItemMetrics({ ...gen, targetIsArgmax: [true] }), /targetIsArgmax/);
  });
  it('empty target (text or tokens)', () => {
    expectMetricError(() => computeItemMetrics({ ...gen, target: '' }), /target answer is empty/);
    expectMetricError(() => computeItemMetrics({ ...gen, target: ' \n' }), /target answer is empty/);
    expectMetricError(
      () => computeItemMetrics({ ...gen, targetTokenIds: [], targetLogprobs: [], targetIsArgmax: [] }),
      /no tokens/,
    );
  });
  it('non-integer token ids and malformed fields', () => {
    expectMetricError(() => computeItemMetrics({ ...gen, outputTokenIds: [1.5] }), /integers/);
    expectMetricError(() => computeItemMetrics({ ...gen, targetTokenIds: [NaN, 0] }), /integers/);
    const broken = { ...gen, targetIsArgmax: [1, 1] } as unknown as RawGenerationOutput;
    expectMetricError(() => computeItemMetrics(broken), /true or false/);
  });
});

describe('computeChoiceMetrics rejects invalid input with MetricError', () => {
  it('NaN / infinite log-likelihoods', () => {
    expectMetricError(() => computeChoiceMetrics({ ...mc, choiceLogprobs: [-1, NaN, -3] }), /choiceLogprobs\[1\]/);
    expectMetricError(() => computeChoiceMetrics({ ...mc, choiceLogprobs: [-1, -2, -Infinity] }), /-Infinity/);
  });
  it('length mismatch, bad answer index, too few or empty choices', () => {
    expectMetricError(() => computeChoiceMetrics({ ...mc, choiceLogprobs: [-1, -2] }), /same length/);
    expectMetricError(() => computeChoiceMetrics({ ...mc, answerIndex: 3 }), /answerIndex/);
    expectMetricError(() => computeChoiceMetrics({ ...mc, answerIndex: -1 }), /answerIndex/);
    expectMetricError(() => computeChoiceMetrics({ ...mc, answerIndex: 0.5 }), /answerIndex/);
    expectMetricError(() => computeChoiceMetrics({ choices: [' A'], choiceLogprobs: [-1], answerIndex: 0 }), /at least 2/);
    expectMetricError(() => computeChoiceMetrics({ ...mc, choices: [' A', '', ' C'] }), /choices\[1\] is empty/);
  });
});

describe('standalone metric functions validate too (never NaN)', () => {
  it('likelihood metrics', () => {
    expectMetricError(() => perTokenProb([]), /empty/); // 0/0 would be NaN
    expectMetricError(() => targetLogprob([-1, NaN]), /NaN/);
    expectMetricError(() => predictedExactMatch([Infinity]), /Infinity/);
    expectMetricError(() => greedyConsistency([]), /empty/);
  });
  it('choice metrics', () => {
    expectMetricError(() => softmax([]), /at least one/);
    expectMetricError(() => softmax([0, NaN]), /NaN/);
    expectMetricError(() => brierScore([-1, -2], 2), /answerIndex/);
    expectMetricError(() => probCorrect([-1], 0), /at least 2/);
    expectMetricError(() => mcGrade([-1, NaN], 0), /NaN/);
    expectMetricError(() => mcGradeNorm([0, -1], ['', 'a'], 0), /choices\[0\] is empty/); // 0/0 would be NaN
    expectMetricError(() => mcGradeNorm([0, -1], ['a'], 0), /same length/);
  });
});

describe('aggregation and emergence reject invalid input with MetricError', () => {
  it('bootstrap', () => {
    expectMetricError(() => meanWithBootstrapCI([], { seed: 1 }), /zero values/);
    expectMetricError(() => meanWithBootstrapCI([1, NaN], { seed: 1 }), /values\[1\] is NaN/);
    expectMetricError(() => meanWithBootstrapCI([1, Infinity], { seed: 1 }), /Infinity/);
    expectMetricError(() => meanWithBootstrapCI([1, 2], { seed: 1.5 }), /seed/);
    expectMetricError(() => meanWithBootstrapCI([1, 2], { seed: 1, level: 1 }), /level/);
    expectMetricError(() => meanWithBootstrapCI([1, 2], { seed: 1, resamples: 0 }), /resamples/);
  });
  it('emergence needs at least 2 finite values', () => {
    expectMetricError(() => emergenceScore([]), /at least 2/);
    expectMetricError(() => emergenceScore([0.5]), /at least 2/);
    expectMetricError(() => emergenceScore([0.1, NaN, 0.3]), /NaN/);
    expectMetricError(() => emergenceScore([0.1, Infinity]), /Infinity/);
  });
  it('MetricError is an Error with its own name', () => {
    const e = new MetricError('x');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('MetricError');
  });
});
