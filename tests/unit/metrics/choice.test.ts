import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  brierScore,
  computeChoiceMetrics,
  mcGrade,
  mcGradeNorm,
  probCorrect,
  softmax,
} from '../../../src/lib/metrics/index.ts';

const ln = Math.log;

describe('multiple-choice metrics (hand-computed)', () => {
  it('Brier score and prob_correct on normalized likelihoods', () => {
    // lls = ln[0.5, 0.25, 0.25] → softmax = [0.5, 0.25, 0.25]; answer 1:
    // Brier = 0.5² + (0.25 − 1)² + 0.25² = 0.25 + 0.5625 + 0.0625 = 0.875
    const lls = [ln(0.5), ln(0.25), ln(0.25)];
    expect(brierScore(lls, 1)).toBeCloseTo(0.875, 14);
    expect(probCorrect(lls, 1)).toBeCloseTo(0.25, 14);
    // answer 0: (0.5 − 1)² + 0.25² + 0.25² = 0.25 + 0.0625 + 0.0625 = 0.375
    expect(brierScore(lls, 0)).toBeCloseTo(0.375, 14);
  });

  it('softmax of unnormalized log-likelihoods', () => {
    // lls = [−1, −2, −3]: p0 = 1/(1 + e^−1 + e^−2) = 1/1.5032147 = 0.6652410
    // p1 = e^−1·p0 = 0.2447285, p2 = e^−2·p0 = 0.0900306
    // Brier(answer 0) = 0.3347590² + 0.2447285² + 0.0900306² = 0.1120636 + 0.0598921 + 0.0081055 = 0.1800612
    const lls = [-1, -2, -3];
    const p = softmax(lls);
    expect(p[0]).toBeCloseTo(0.665241, 6);
    expect(p[1]).toBeCloseTo(0.2447285, 6);
    expect(p[2]).toBeCloseTo(0.0900306, 6);
    expect(brierScore(lls, 0)).toBeCloseTo(0.1800612, 6);
  });

  it('stays finite for very negative log-likelihoods', () => {
    // shifting by the max: softmax([−1000, −1001]) = [1/(1+e^−1), e^−1/(1+e^−1)] = [0.7310586, 0.2689414]
    expect(probCorrect([-1000, -1001], 0)).toBeCloseTo(0.7310586, 6);
  });

  it('mc_grade: argmax equals the answer; exact ties go to the lowest index', () => {
    expect(mcGrade([-3, -1, -2], 1)).toBe(1);
    expect(mcGrade([-3, -1, -2], 2)).toBe(0);
    expect(mcGrade([-1, -1, -2], 0)).toBe(1); // tie between 0 and 1 → 0
    expect(mcGrade([-1, -1, -2], 1)).toBe(0);
  });

  it('mc_grade_norm divides by the character length of each continuation', () => {
    // [" a", " bbbb"], lls [−2, −4]: raw argmax 0; normalized −2/2 = −1 < −4/5 = −0.8 → argmax 1
    const choices = [' a', ' bbbb'];
    expect(mcGrade([-2, -4], 1)).toBe(0);
    expect(mcGradeNorm([-2, -4], choices, 1)).toBe(1);
    // ["ab", "abcd"], lls [−1, −2]: −0.5 and −0.5 tie → lowest index 0
    expect(mcGradeNorm([-1, -2], ['ab', 'abcd'], 0)).toBe(1);
    // code points: "😀" has length 1 (as Python len), so −1/1 < −1.5/2 → argmax 1
    expect(mcGradeNorm([-1, -1.5], ['😀', 'ab'], 1)).toBe(1);
  });

  it('computeChoiceMetrics combines all four', () => {
    expect(
      computeChoiceMetrics({ choices: [' yes', ' no'], choiceLogprobs: [ln(0.2), ln(0.8)], answerIndex: 0 }),
    ).toEqual({
      mc_grade: 0,
      // ' yes' −1.609/4 = −0.402 vs ' no' −0.223/3 = −0.074 → 1 → wrong
      mc_grade_norm: 0,
      // (0.2 − 1)² + 0.8² = 0.64 + 0.64 = 1.28
      brier_score: expect.closeTo(1.28, 12),
      prob_correct: expect.closeTo(0.2, 12),
    });
  });

  it('exact tie in computeChoiceMetrics', () => {
    // lls equal → softmax [0.5, 0.5]; Brier = 0.25 + 0.25 = 0.5; grade → index 0
    const m = computeChoiceMetrics({ choices: [' A', ' B'], choiceLogprobs: [-2, -2], answerIndex: 1 });
    expect(m).toEqual({ mc_grade: 0, mc_grade_norm: 0, brier_score: 0.5, prob_correct: 0.5 });
  });
});

describe('multiple-choice metrics (properties)', () => {
  const item = fc
    .array(fc.double({ min: -1e4, max: 0, noNaN: true }), { minLength: 2, maxLength: 6 })
    .chain((lls) => fc.tuple(fc.constant(lls), fc.integer({ min: 0, max: lls.length - 1 })));
  it('Brier in [0, 2], prob_correct in [0, 1], softmax sums to 1', () => {
    fc.assert(
      fc.property(item, ([lls, a]) => {
        const b = brierScore(lls, a);
        const p = probCorrect(lls, a);
        const total = softmax(lls).reduce((s, x) => s + x, 0);
        return b >= 0 && b <= 2 && p >= 0 && p <= 1 && Math.abs(total - 1) < 1e-12;
      }),
    );
  });
});
