/**
 * Per-item entry points: validate the engine's raw output once, then apply every metric.
 * Validation is strict because a silent NaN would poison every aggregate downstream.
 */
import { assertChoiceInput } from './choiceInput.ts';
import { brierScore, mcGrade, mcGradeNorm, probCorrect } from './choice.ts';
import { digitAccuracy, hasDigits } from './digitAccuracy.ts';
import { charEditDistance, tokenEditDistance } from './editDistance.ts';
import { MetricError } from './errors.ts';
import { exactMatch } from './exactMatch.ts';
import {
  greedyConsistency,
  meanTokenLogprob,
  perTokenProb,
  predictedExactMatch,
  targetLogprob,
  validTargetLogprobs,
} from './likelihood.ts';
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

/** Every generation metric of one item. Throws MetricError on invalid input. */
export function computeItemMetrics(raw: RawGenerationOutput): ItemMetrics {
  const logprobs = validateGeneration(raw);
  return {
    exact_match: exactMatch(raw.target, raw.outputText),
    token_edit_distance: tokenEditDistance(raw.targetTokenIds, raw.outputTokenIds),
    char_edit_distance: charEditDistance(raw.target, raw.outputText),
    digit_accuracy: hasDigits(raw.target) ? digitAccuracy(raw.target, raw.outputText) : null,
    target_logprob: targetLogprob(logprobs),
    mean_token_logprob: meanTokenLogprob(logprobs),
    per_token_prob: perTokenProb(logprobs),
    greedy_consistency: greedyConsistency(raw.targetIsArgmax),
    predicted_exact_match: predictedExactMatch(logprobs),
  };
}

/** Every multiple-choice metric of one item. Throws MetricError on invalid input. */
export function computeChoiceMetrics(raw: RawChoiceOutput): ChoiceMetrics {
  if (typeof raw !== 'object' || raw === null) throw new MetricError('A multiple-choice output must be an object.');
  assertChoiceInput(raw.choiceLogprobs, raw.answerIndex, raw.choices);
  const lls = raw.choiceLogprobs;
  return {
    mc_grade: mcGrade(lls, raw.answerIndex),
    mc_grade_norm: mcGradeNorm(lls, raw.choices, raw.answerIndex),
    brier_score: brierScore(lls, raw.answerIndex),
    prob_correct: probCorrect(lls, raw.answerIndex),
  };
}
