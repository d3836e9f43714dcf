import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  computeItemMetrics,
  greedyConsistency,
  meanTokenLogprob,
  perTokenProb,
  predictedExactMatch,
  targetLogprob,
  type ItemMetrics,
  type RawGenerationOutput,
} from '../../../src/lib/metrics/index.ts';

describe('likelihood metrics (hand-computed)', () => {
  // Token probabilities 0.5, 0.5, 0.25 → P(target) = 0.0625, L = 3
  const lp = [Math.log(0.5), Math.log(0.5), Math.log(0.25)];
  it('target log-prob = Σ ℓ = ln 0.0625', () => {
    expect(targetLogprob(lp)).toBeCloseTo(Math.log(0.0625), 14); // ≈ −2.7725887
  });
  it('mean token log-prob = ln(0.0625) / 3', () => {
    expect(meanTokenLogprob(lp)).toBeCloseTo(-0.924196240746594, 12);
  });
  it('per-token prob = 0.0625^(1/3) ≈ 0.39685', () => {
    expect(perTokenProb(lp)).toBeCloseTo(0.396850262992, 12);
  });
  it('predicted exact match = p^L = 0.0625', () => {
    expect(predictedExactMatch(lp)).toBeCloseTo(0.0625, 14);
  });
  it('greedy consistency needs every token to be the argmax', () => {
    expect(greedyConsistency([true, true, true])).toBe(1);
    expect(greedyConsistency([true, false, true])).toBe(0);
  });
});

describe('computeItemMetrics', () => {
  // "937 + 864 = " → target "1801" = [16, 2388] + end token 0; probabilities 0.9, 0.8, 0.5.
  const base: RawGenerationOutput = {
    target: '1801',
    targetTokenIds: [16, 2388, 0],
    targetLogprobs: [Math.log(0.9), Math.log(0.8), Math.log(0.5)],
    targetIsArgmax: [true, true, true],
    outputText: ' 1801',
    outputTokenIds: [16, 2388, 0],
  };

  it('scores a correct greedy answer', () => {
    const m = computeItemMetrics(base);
    // P = 0.9·0.8·0.5 = 0.36; p = 0.36^(1/3) ≈ 0.7113787
    expect(m).toEqual({
      exact_match: 1,
      token_edit_distance: 0,
      char_edit_distance: 0,
      digit_accuracy: 1,
      target_logprob: expect.closeTo(Math.log(0.36), 12),
      mean_token_logprob: expect.closeTo(Math.log(0.36) / 3, 12),
      per_token_prob: expect.closeTo(0.711378660898, 11),
      greedy_consistency: 1,
      predicted_exact_match: expect.closeTo(0.36, 12),
    });
  });

  it('scores a wrong, run-on answer', () => {
    const m = computeItemMetrics({
      ...base,
      targetIsArgmax: [true, false, true],
      outputText: '1811\n',
      outputTokenIds: [16, 1157, 198], // "18" "11" "\n", no end token
    });
    expect(m.exact_match).toBe(0);
    expect(m.token_edit_distance).toBe(2); // 2388→1157, 0→198
    expect(m.char_edit_distance).toBe(1); // 0→1
    expect(m.digit_accuracy).toBe(3 / 4);
    expect(m.greedy_consistency).toBe(0);
  });

  it('scores an empty output', () => {
    const m = computeItemMetrics({ ...base, outputText: '', outputTokenIds: [] });
    expect(m.exact_match).toBe(0);
    expect(m.token_edit_distance).toBe(3);
    expect(m.char_edit_distance).toBe(4);
    expect(m.digit_accuracy).toBe(0);
  });

  it('gives digit_accuracy null when the target has no digit', () => {
    const m = computeItemMetrics({ ...base, target: 'Paris', outputText: 'Paris' });
    expect(m.digit_accuracy).toBeNull();
    expect(m.exact_match).toBe(1);
  });

  it('reads a log-prob within rounding above 0 as 0', () => {
    const m = computeItemMetrics({ ...base, targetLogprobs: [1e-7, 0, 0] });
    expect(m.per_token_prob).toBe(1);
    expect(m.predicted_exact_match).toBe(1);
    expect(m.target_logprob).toBe(0);
  });

  it('never returns NaN or Infinity, even for very unlikely targets', () => {
    const m = computeItemMetrics({ ...base, targetLogprobs: [-1e300, -1e300, -1e300] });
    for (const v of Object.values(m)) if (v !== null) expect(Number.isFinite(v)).toBe(true);
    expect(m.predicted_exact_match).toBe(0);
  });

  it('is assignable to a plain record of metric values', () => {
    const record: Record<string, number | null> = computeItemMetrics(base) satisfies ItemMetrics;
    expect(Object.keys(record)).toHaveLength(9);
  });
});

describe('likelihood metrics (properties)', () => {
  const logprobs = fc.array(fc.double({ min: -50, max: 0, noNaN: true }), { minLength: 1, maxLength: 30 });
  it('predicted_exact_match = per_token_prob^L within 1e-12', () => {
    fc.assert(
      fc.property(logprobs, (lp) => {
        expect(Math.abs(predictedExactMatch(lp) - perTokenProb(lp) ** lp.length)).toBeLessThanOrEqual(1e-12);
      }),
    );
  });
  it('probabilities stay in [0, 1] and p^L ≤ p', () => {
    fc.assert(
      fc.property(logprobs, (lp) => {
        const p = perTokenProb(lp);
        const pl = predictedExactMatch(lp);
        return p >= 0 && p <= 1 && pl >= 0 && pl <= p + 1e-15;
      }),
    );
  });
});
