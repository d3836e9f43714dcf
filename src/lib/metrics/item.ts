/**
 * Per-item entry points: validate the engine's raw output once, then apply every metric.
 * Validation is strict because a silent NaN would poison every aggregate downstream.
 */
import { assertChoiceInput } from './choiceInput.ts';
import { MetricError } from './errors.ts';
import { validTargetLogprobs } from './likelihood.ts';
import { METRICS, type CheckedGeneration } from './registry.ts';
import type { ChoiceMetrics, ItemMetrics, RawChoiceOutput, RawGenerationOutput } from './types.ts';
import { assertArray, assertIntegerArray, assertSameLength, assertString } from './validate.ts';

function validateGeneration(raw: RawGenerationOutput): number[] {
  if (typeof raw !== 'object' || raw === null) throw new MetricError('A generation output must be an object.');
  assertString(raw.target, 'target');
  assertString(raw.outputText, 'outputText');
  if (raw.target.trim() === '') {
    throw new MetricError('The target answer is empty; every item needs a non-empty reference answer.');
  }
  assertIntegerArray(raw.targetTokenIds, 'targetTokenIds');
  assertIntegerArray(raw.outputTokenIds, 'outputTokenIds');
  if (raw.targetTokenIds.length === 0) {
    throw new MetricError(`The target "${raw.target}" has no tokens; the tokenizer must give the target at least one token.`);
  }
  assertArray(raw.targetIsArgmax, 'targetIsArgmax');
  raw.targetIsArgmax.forEach((b, i) => {
    if (typeof b !== 'boolean') throw new MetricError(`targetIsArgmax[${i}] must be true or false, got ${typeof b}.`);
  });
  assertArray(raw.targetLogprobs, 'targetLogprobs');
  assertSameLength(raw.targetTokenIds, 'targetTokenIds', raw.targetLogprobs, 'targetLogprobs');
  assertSameLength(raw.targetTokenIds, 'targetTokenIds', raw.targetIsArgmax, 'targetIsArgmax');
  return validTargetLogprobs(raw.targetLogprobs);
}

/** Every generation metric of one item (registry order). Throws MetricError on invalid input. */
export function computeItemMetrics(raw: RawGenerationOutput): ItemMetrics {
  const checked: CheckedGeneration = { ...raw, logprobs: validateGeneration(raw) };
  const out = {} as ItemMetrics;
  for (const m of METRICS) if (m.family === 'generation') out[m.id] = m.compute(checked);
  return out;
}

/** Every multiple-choice metric of one item (registry order). Throws MetricError on invalid input. */
export function computeChoiceMetrics(raw: RawChoiceOutput): ChoiceMetrics {
  if (typeof raw !== 'object' || raw === null) throw new MetricError('A multiple-choice output must be an object.');
  assertChoiceInput(raw.choiceLogprobs, raw.answerIndex, raw.choices);
  const out = {} as ChoiceMetrics;
  for (const m of METRICS) if (m.family === 'choice') out[m.id] = m.compute(raw);
  return out;
}
