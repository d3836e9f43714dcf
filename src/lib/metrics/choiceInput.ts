import { MetricError } from './errors.ts';
import { assertArray, assertFiniteArray, assertSameLength } from './validate.ts';

/**
 * Checks shared by every multiple-choice metric: at least two choices, one finite
 * log-likelihood each, an answer index that points at a choice, and (when texts are given)
 * non-empty choice texts, since acc_norm divides by their length.
 */
export function assertChoiceInput(
  lls: readonly number[],
  answerIndex: number,
  choices?: readonly string[],
): void {
  assertFiniteArray(lls, 'choiceLogprobs');
  if (choices !== undefined) {
    assertArray(choices, 'choices');
    choices.forEach((c, k) => {
      if (typeof c !== 'string' || c.length === 0) {
        throw new MetricError(`choices[${k}] is empty; every choice needs text (acc_norm divides by its length).`);
      }
    });
    assertSameLength(choices, 'choices', lls, 'choiceLogprobs');
  }
  if (lls.length < 2) {
    throw new MetricError(`A multiple-choice item needs at least 2 choices, got ${lls.length}.`);
  }
  if (!Number.isInteger(answerIndex) || answerIndex < 0 || answerIndex >= lls.length) {
    throw new MetricError(
      `answerIndex is ${String(answerIndex)}, but it must be an integer from 0 to ${lls.length - 1} (one per choice).`,
    );
  }
}
