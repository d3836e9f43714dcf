import { NumericError } from './errors.ts';
import type { LogitsBatch } from './backend.ts';

/** log softmax(logits[row, pos])[token] and the argmax at that position (first index on ties). */
export function logprobAndArgmax(batch: LogitsBatch, row: number, pos: number, token: number): { logprob: number; argmax: number } {
  const { data, length, vocab } = batch;
  const r = logSoftmaxAt(data, (row * length + pos) * vocab, vocab, token);
  if (!Number.isFinite(r.logprob)) {
    throw new NumericError(`The model produced a non-finite log-probability (${r.logprob}) at position ${pos}; its outputs are unusable on this backend.`);
  }
  return r;
}

export function argmaxAt(batch: LogitsBatch, row: number, pos: number): number {
  const { data, length, vocab } = batch;
  const offset = (row * length + pos) * vocab;
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < vocab; i++) {
    if (data[offset + i] > max) {
      max = data[offset + i];
      argmax = i;
    }
  }
  if (!Number.isFinite(max)) throw new NumericError(`The model produced non-finite logits at position ${pos}.`);
  return argmax;
}

/**
 * The argmax of data[offset .. offset + vocab] (first index on ties) without the log-softmax,
 * for positions where only the argmax matters; logprob is 0 when every logit is finite, NaN
 * otherwise (so callers check it as they check a real log-prob).
 */
export function argmaxCheckedAt(data: Float32Array, offset: number, vocab: number): { logprob: number; argmax: number } {
  let max = -Infinity;
  let argmax = 0;
  // x - x is 0 for a finite x and NaN for NaN or +-Infinity: one subtraction checks the row.
  let check = 0;
  for (let i = 0; i < vocab; i++) {
    const x = data[offset + i];
    check += x - x;
    if (x > max) {
      max = x;
      argmax = i;
    }
  }
  return { logprob: check === 0 ? 0 : NaN, argmax };
}

/**
 * log softmax(data[offset .. offset + vocab])[token] in float64 and the argmax (first index on
 * ties); the caller checks finiteness.
 */
export function logSoftmaxAt(data: Float32Array, offset: number, vocab: number, token: number): { logprob: number; argmax: number } {
  let max = -Infinity;
  let argmax = 0;
  for (let i = 0; i < vocab; i++) {
    const x = data[offset + i];
    if (x > max) {
      max = x;
      argmax = i;
    }
  }
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(data[offset + i] - max);
  return { logprob: data[offset + token] - max - Math.log(sum), argmax };
}
