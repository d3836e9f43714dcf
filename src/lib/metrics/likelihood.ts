/**
 * Likelihood metrics of a teacher-forced target with token log-probs ℓ_1..ℓ_L (natural log).
 * They are continuous in the model's parameters, so they do not jump between model sizes
 * unless the model itself does (Schaeffer et al. 2023, arXiv:2304.15004, §2).
 */
import { MetricError } from './errors.ts';
import type { Binary } from './types.ts';
import { assertFiniteArray } from './validate.ts';

/**
 * Log-probs a little above 0 are float rounding of a probability ≈ 1 (e.g. a float32
 * log-softmax); up to this tolerance they are read as 0, beyond it they are an engine bug.
 */
export const LOGPROB_TOLERANCE = 1e-3;

/** Checked copy of target log-probs: L ≥ 1, finite, ≤ 0 (tiny positive rounding read as 0). */
export function validTargetLogprobs(logprobs: readonly number[], field = 'targetLogprobs'): number[] {
  assertFiniteArray(logprobs, field);
  if (logprobs.length === 0) {
    throw new MetricError(`${field} is empty; the target needs at least one token.`);
  }
  return logprobs.map((l, i) => {
    if (l > LOGPROB_TOLERANCE) {
      throw new MetricError(
        `${field}[${i}] is ${l}, but a log-probability must be ≤ 0; the engine must pass natural-log probabilities (log-softmax), not logits.`,
      );
    }
    return Math.min(l, 0);
  });
}

function sum(xs: readonly number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total;
}

/** target log-prob = Σ_i ℓ_i = log P(target | prompt). */
export function targetLogprob(logprobs: readonly number[]): number {
  return sum(validTargetLogprobs(logprobs));
}

/** mean token log-prob = (Σ_i ℓ_i) / L. */
export function meanTokenLogprob(logprobs: readonly number[]): number {
  return targetLogprob(logprobs) / logprobs.length;
}

/** per-token probability p = exp(mean token log-prob), the geometric mean of token probabilities. */
export function perTokenProb(logprobs: readonly number[]): number {
  return Math.exp(meanTokenLogprob(logprobs));
}

/**
 * predicted exact match = p^L = exp(Σ_i ℓ_i): the probability that sampling reproduces the whole
 * target. Schaeffer et al. 2023 §2: with p rising smoothly in scale, p^L looks like a sudden jump.
 */
export function predictedExactMatch(logprobs: readonly number[]): number {
  return Math.exp(targetLogprob(logprobs));
}

/**
 * greedy consistency = 1 iff every target token is the argmax under teacher forcing, i.e. greedy
 * decoding would reproduce the target (up to ties). Discontinuous, like exact match.
 */
export function greedyConsistency(isArgmax: readonly boolean[]): Binary {
  if (isArgmax.length === 0) throw new MetricError('targetIsArgmax is empty; the target needs at least one token.');
  return isArgmax.every((b) => b) ? 1 : 0;
}
