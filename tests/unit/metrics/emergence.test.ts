import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EMERGENCE_EPSILON, emergenceScore, emergenceScores, MetricError } from '../../../src/lib/metrics/index.ts';

describe('emergenceScore (hand-computed)', () => {
  it('linear rise', () => {
    // [0, 1, 2, 3]: steps² = [1, 1, 1], median 1; sign(3 − 0) · 3 / 1 = 3
    expect(emergenceScore([0, 1, 2, 3])).toBe(3);
  });
  it('a jump at the end', () => {
    // [0, 0.1, 0.2, 1]: steps² = [0.01, 0.01, 0.64], median 0.01 → 1 / 0.1 = 10
    expect(emergenceScore([0, 0.1, 0.2, 1])).toBeCloseTo(10, 10);
  });
  it('even number of steps: median is the mean of the middle two', () => {
    // [0, 1, 3, 4, 10]: steps² = [1, 4, 1, 36] → sorted [1, 1, 4, 36], median 2.5 → 10 / √2.5 ≈ 6.3245553
    expect(emergenceScore([0, 1, 3, 4, 10])).toBeCloseTo(10 / Math.sqrt(2.5), 10);
  });
  it('decline is negative: sign(argmax − argmin)', () => {
    // [3, 2, 1, 0]: argmax 0, argmin 3 → −3
    expect(emergenceScore([3, 2, 1, 0])).toBe(-3);
  });
  it('orients lower-is-better metrics before scoring', () => {
    // edit distance falling [3, 2, 1, 0] is an improvement → +3
    expect(emergenceScore([3, 2, 1, 0], { higherIsBetter: false })).toBe(3);
  });
  it('constant values score 0', () => {
    expect(emergenceScore([0.4, 0.4, 0.4])).toBe(0);
    expect(emergenceScore([0, 0])).toBe(0);
  });
  it('a median step of 0 uses the epsilon floor: flat then jump → 1/ε', () => {
    // [0, 0, 0, 0, 1]: steps² = [0, 0, 0, 1], median 0 → floor ε·range → 1 / ε
    expect(emergenceScore([0, 0, 0, 0, 1])).toBeCloseTo(1 / EMERGENCE_EPSILON, 3);
  });
  it('is scale invariant and handles extreme magnitudes', () => {
    expect(emergenceScore([0, 1e300, 2e300, 3e300])).toBeCloseTo(3, 10);
    expect(Number.isFinite(emergenceScore([-1.7e308, 1.7e308]))).toBe(true);
    expect(emergenceScore([-1.7e308, 1.7e308])).toBeCloseTo(1, 10); // one step = the whole range
  });
});

describe('emergenceScore (properties)', () => {
  const anyFinite = fc.double({ noNaN: true, noDefaultInfinity: true });
  it('is finite for any finite input', () => {
    fc.assert(
      fc.property(fc.array(anyFinite, { minLength: 2, maxLength: 12 }), fc.boolean(), (ys, hib) => {
        expect(Number.isFinite(emergenceScore(ys, { higherIsBetter: hib }))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
  it('flips sign when the ladder is reversed (unique max and min)', () => {
    const uniqueExtremes = (ys: number[]): boolean => {
      const max = Math.max(...ys);
      const min = Math.min(...ys);
      return max !== min && ys.filter((y) => y === max).length === 1 && ys.filter((y) => y === min).length === 1;
    };
    fc.assert(
      fc.property(fc.array(anyFinite, { minLength: 2, maxLength: 12 }).filter(uniqueExtremes), (ys) => {
        const forward = emergenceScore(ys);
        expect(forward).not.toBe(0);
        expect(emergenceScore([...ys].reverse())).toBe(-forward);
      }),
      { numRuns: 500 },
    );
  });
});

describe('smooth per-token probability vs exact-match-like p^L', () => {
  it('p^L (L = 7) scores higher than p on a smoothly rising ladder', () => {
    // p: steps 0.1×4, 0.05, 0.04 → median step² 0.01 → 0.49 / 0.1 = 4.9
    // p^7: 0.0078 … 0.932, steps² sorted [.0004, .0029, .0163, .0484, .0548, .0720] → ≈ 0.924/0.18 ≈ 5.1
    const p = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
    const pL = p.map((x) => x ** 7);
    const sp = emergenceScore(p);
    const spL = emergenceScore(pL);
    expect(sp).toBeCloseTo(4.9, 6);
    expect(spL).toBeGreaterThan(sp);
  });
  it('the gap widens for longer answers and evenly spaced p', () => {
    // p = 0.50, 0.55, …, 0.95 (10 models): p scores 9 (every step equal); p^15 is back-loaded
    const p = Array.from({ length: 10 }, (_, i) => 0.5 + 0.05 * i);
    expect(emergenceScore(p)).toBeCloseTo(9, 6);
    expect(emergenceScore(p.map((x) => x ** 15))).toBeGreaterThan(2 * emergenceScore(p));
  });
});

describe('emergenceScores', () => {
  it('scores several metrics of a ladder with registry orientation', () => {
    const ladder = [
      { exact_match: 0, token_edit_distance: 3 },
      { exact_match: 0, token_edit_distance: 2 },
      { exact_match: 1, token_edit_distance: 1 },
    ];
    const s = emergenceScores(ladder, ['exact_match', 'token_edit_distance']);
    // exact_match [0, 0, 1]: steps² [0, 1], median 0.5 → 1 / √0.5 = √2
    expect(s.exact_match).toBeCloseTo(Math.SQRT2, 12);
    // edit distance oriented [−3, −2, −1]: steps² [1, 1] → 2 / 1 = 2
    expect(s.token_edit_distance).toBeCloseTo(2, 12);
  });
  it('throws MetricError for unknown metrics and missing values', () => {
    expect(() => emergenceScores([{ x: 1 }, { x: 2 }], ['x'])).toThrow(/Unknown metric "x"/);
    expect(() => emergenceScores([{ exact_match: 1 }, {}], ['exact_match'])).toThrow(MetricError);
    expect(() => emergenceScores([{ exact_match: 1 }], ['exact_match'])).toThrow(/Metric "exact_match".*at least 2/);
  });
});
