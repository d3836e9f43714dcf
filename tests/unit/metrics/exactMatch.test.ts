import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { exactMatch, normalizeAnswer } from '../../../src/lib/metrics/index.ts';

describe('exactMatch', () => {
  it('trims leading and trailing whitespace only', () => {
    expect(exactMatch('1801', '1801')).toBe(1);
    expect(exactMatch('1801', ' 1801\n')).toBe(1); // greedy outputs often start with a space
    expect(exactMatch(' 1801 ', '\t1801')).toBe(1);
    expect(exactMatch('1801', '1801.')).toBe(0); // punctuation is kept
    expect(exactMatch('1801', '1 801')).toBe(0); // inner spaces are kept
    expect(exactMatch('Paris', 'paris')).toBe(0); // case is kept
  });
  it('edge cases: empty and longer outputs, negative numbers', () => {
    expect(exactMatch('1801', '')).toBe(0);
    expect(exactMatch('1801', '18011')).toBe(0);
    expect(exactMatch('-42', '-42')).toBe(1);
    expect(exactMatch('-42', '42')).toBe(0);
  });
  it('normalizeAnswer is idempotent and exact match is reflexive and symmetric', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        expect(normalizeAnswer(normalizeAnswer(a))).toBe(normalizeAnswer(a));
        expect(exactMatch(a, a)).toBe(1);
        expect(exactMatch(a, b)).toBe(exactMatch(b, a));
      }),
    );
  });
});
