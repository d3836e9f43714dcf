/**
 * Multiple-choice metrics, following EleutherAI lm-evaluation-harness (lm_eval/api/task.py,
 * api/metrics.py): acc, acc_norm, brier_score, plus the probability of the correct choice.
 * lls_k = summed log-likelihood of continuation k; ties in an argmax go to the lowest index
 * (numpy.argmax). Every function validates its input (MetricError), so none returns NaN.
 */
import { assertChoiceInput } from './choiceInput.ts';
import { MetricError } from './errors.ts';
import { codePoints } from './normalize.ts';
import type { Binary } from './types.ts';
import { assertFiniteArray } from './validate.ts';

/** Index of the first maximum (numpy.argmax semantics). */
function argmaxFirst(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** softmax(lls)_k = exp(lls_k − max) / Σ_j exp(lls_j − max); the shift keeps it finite. */
export function softmax(lls: readonly number[]): number[] {
  assertFiniteArray(lls, 'choiceLogprobs');
  if (lls.length === 0) throw new MetricError('softmax needs at least one log-likelihood.');
  const max = lls[argmaxFirst(lls)];
  const exps = lls.map((l) => Math.exp(l - max));
  let total = 0;
  for (const e of exps) total += e; // ≥ 1 because the max term is exp(0)
  return exps.map((e) => e / total);
}

/** mc_grade (harness `acc`) = 1 iff argmax_k lls_k = answer. Discontinuous. */
export function mcGrade(lls: readonly number[], answerIndex: number): Binary {
  assertChoiceInput(lls, answerIndex);
  return argmaxFirst(lls) === answerIndex ? 1 : 0;
}

/**
 * mc_grade_norm (harness `acc_norm`) = 1 iff argmax_k (lls_k / len_k) = answer, where len_k is
 * the continuation's length in characters (code points, as Python len), which removes the
 * bias toward short continuations. Discontinuous.
 */
export function mcGradeNorm(lls: readonly number[], choices: readonly string[], answerIndex: number): Binary {
  assertChoiceInput(lls, answerIndex, choices);
  const normalized = lls.map((l, k) => l / codePoints(choices[k]).length);
  return argmaxFirst(normalized) === answerIndex ? 1 : 0;
}

/**
 * brier_score (harness) = Σ_k (softmax(lls)_k − onehot(answer)_k)², in [0, 2], lower is better.
 * The harness averages it over items; so does aggregate.ts. Continuous (Schaeffer et al. 2023).
 */
export function brierScore(lls: readonly number[], answerIndex: number): number {
  assertChoiceInput(lls, answerIndex);
  const probs = softmax(lls);
  let total = 0;
  for (let k = 0; k < probs.length; k++) {
    const diff = probs[k] - (k === answerIndex ? 1 : 0);
    total += diff * diff;
  }
  return total;
}

/** prob_correct = softmax(lls)_answer: probability mass on the right choice among the choices. */
export function probCorrect(lls: readonly number[], answerIndex: number): number {
  assertChoiceInput(lls, answerIndex);
  return softmax(lls)[answerIndex];
}
