import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { digitAccuracy, MetricError, toSignedDigits } from '../../../src/lib/metrics/index.ts';

describe('toSignedDigits (normalization rule)', () => {
  it('keeps ASCII digits, reads the sign right before the first digit', () => {
    expect(toSignedDigits('1,801')).toEqual({ negative: false, digits: '1801' });
    expect(toSignedDigits(' -42\n')).toEqual({ negative: true, digits: '42' });
    expect(toSignedDigits('\u221242')).toEqual({ negative: true, digits: '42' }); // U+2212 minus sign
    expect(toSignedDigits('The answer is -5.')).toEqual({ negative: true, digits: '5' });
    expect(toSignedDigits('- 5')).toEqual({ negative: false, digits: '5' }); // not adjacent: no sign
    expect(toSignedDigits('1-2')).toEqual({ negative: false, digits: '12' });
    expect(toSignedDigits('abc')).toEqual({ negative: false, digits: '' });
  });
});

describe('digitAccuracy (hand-computed)', () => {
  it('aligns digits from the right', () => {
    expect(digitAccuracy('1801', '1801')).toBe(1);
    // 1801 vs 1811 from the right: 1=1, 0≠1, 8=8, 1=1 → 3/4
    expect(digitAccuracy('1801', '1811')).toBe(3 / 4);
    // 1801 vs 801: 1=1, 0=0, 8=8, 1 vs missing ✗ → 3/4
    expect(digitAccuracy('1801', '801')).toBe(3 / 4);
    // output longer: 801 vs 1801 → D = 4, 3 matches → 3/4
    expect(digitAccuracy('801', '1801')).toBe(3 / 4);
    // 12 vs 12345: 2≠5, 1≠4, three missing → 0/5
    expect(digitAccuracy('12', '12345')).toBe(0);
  });
  it('empty output scores 0', () => {
    expect(digitAccuracy('1801', '')).toBe(0); // 0/4
    expect(digitAccuracy('1801', 'no idea')).toBe(0);
  });
  it('ignores whitespace, separators and words', () => {
    expect(digitAccuracy('1801', ' 1,801\n')).toBe(1);
    expect(digitAccuracy('123', 'x1y2z3')).toBe(1);
  });
  it('keeps leading zeros', () => {
    // 007 vs 7: 7=7, 0 vs missing ✗, 0 vs missing ✗ → 1/3
    expect(digitAccuracy('007', '7')).toBe(1 / 3);
  });
  it('counts the sign as one extra position when either side is negative', () => {
    expect(digitAccuracy('-42', '-42')).toBe(1); // (2 + 1) / 3
    expect(digitAccuracy('-42', '42')).toBe(2 / 3); // (2 + 0) / 3
    expect(digitAccuracy('42', '-42')).toBe(2 / 3); // (2 + 0) / 3
    expect(digitAccuracy('-42', '-47')).toBe(2 / 3); // (1 + 1) / 3
    expect(digitAccuracy('-42', '')).toBe(0); // (0 + 0) / 3
  });
  it('throws MetricError for a target without digits (metric undefined)', () => {
    expect(() => digitAccuracy('', '1')).toThrow(MetricError);
    expect(() => digitAccuracy('Paris', 'Paris')).toThrow(MetricError);
    expect(() => digitAccuracy('-', '-')).toThrow(MetricError);
  });
});

describe('digitAccuracy (properties)', () => {
  const text = fc.string({ unit: fc.constantFrom('0', '1', '2', '9', '-', ' ', ',', 'a'), maxLength: 12 });
  const numericTarget = text.filter((s) => /[0-9]/.test(s));
  const sameNormalized = (a: string, b: string): boolean => {
    const x = toSignedDigits(a);
    const y = toSignedDigits(b);
    return x.negative === y.negative && x.digits === y.digits;
  };

  it('lies in [0, 1] and is 1 iff the normalized numbers are equal', () => {
    fc.assert(
      fc.property(numericTarget, text, (t, o) => {
        const acc = digitAccuracy(t, o);
        expect(acc).toBeGreaterThanOrEqual(0);
        expect(acc).toBeLessThanOrEqual(1);
        expect(acc === 1).toBe(sameNormalized(t, o));
      }),
    );
  });
  it('is symmetric when both sides have digits', () => {
    fc.assert(fc.property(numericTarget, numericTarget, (a, b) => digitAccuracy(a, b) === digitAccuracy(b, a)));
  });
});
