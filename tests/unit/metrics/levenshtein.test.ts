import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { charEditDistance, levenshtein, tokenEditDistance } from '../../../src/lib/metrics/index.ts';

const ids = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 12 }); // small alphabet → many overlaps

describe('levenshtein (hand-computed)', () => {
  it('counts insertions, deletions and substitutions', () => {
    // kitten → sitting: k→s, e→i, insert g = 3
    const k = [...'kitten'].map((c) => c.charCodeAt(0));
    const s = [...'sitting'].map((c) => c.charCodeAt(0));
    expect(levenshtein(k, s)).toBe(3);
    expect(levenshtein([], [])).toBe(0);
    expect(levenshtein([1, 2, 3], [])).toBe(3); // delete all three
    expect(levenshtein([], [7, 8])).toBe(2); // insert both
    expect(levenshtein([1, 2, 3], [1, 3])).toBe(1); // delete 2
    expect(levenshtein([1, 2], [2, 1])).toBe(2); // no transpositions: two substitutions
  });
});

describe('tokenEditDistance', () => {
  // Target "1801" tokenized as [16, 2388] plus end token 50256.
  const target = [16, 2388, 50256];
  it('is 0 when the output stops with the same end token', () => {
    expect(tokenEditDistance(target, [16, 2388, 50256])).toBe(0);
  });
  it('charges a run-on output that never generated the end token', () => {
    // [16, 2388, 198, 48]: substitute 50256→198, insert 48 = 2
    expect(tokenEditDistance(target, [16, 2388, 198, 48])).toBe(2);
  });
  it('equals the target length for an empty output', () => {
    expect(tokenEditDistance(target, [])).toBe(3);
  });
  it('counts extra tokens of a longer output as insertions', () => {
    // [16, 2388, 16, 2388, 50256]: insert 16, 2388 = 2
    expect(tokenEditDistance(target, [16, 2388, 16, 2388, 50256])).toBe(2);
  });
});

describe('charEditDistance', () => {
  it('ignores leading/trailing whitespace only', () => {
    expect(charEditDistance('1801', ' 1801\n')).toBe(0);
    expect(charEditDistance('1801', '18 01')).toBe(1); // insert inner space
  });
  it('hand vectors', () => {
    expect(charEditDistance('1801', '1081')).toBe(2); // 8→0, 0→8
    expect(charEditDistance('1801', '')).toBe(4); // empty output: delete 4
    expect(charEditDistance('1801', '18011801')).toBe(4); // longer output: insert 4
    expect(charEditDistance('-42', '42')).toBe(1); // delete '-'
  });
  it('counts code points, not UTF-16 units', () => {
    // '😀' is one code point (two UTF-16 units): deleting it costs 1
    expect(charEditDistance('a😀', 'a')).toBe(1);
    expect(charEditDistance('😀', '😁')).toBe(1);
  });
});

describe('levenshtein is a metric (properties)', () => {
  it('identity: d(a, b) = 0 iff a equals b', () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        expect(levenshtein(a, a)).toBe(0);
        expect(levenshtein(a, b) === 0).toBe(a.length === b.length && a.every((x, i) => x === b[i]));
      }),
    );
  });
  it('symmetry', () => {
    fc.assert(fc.property(ids, ids, (a, b) => levenshtein(a, b) === levenshtein(b, a)));
  });
  it('triangle inequality', () => {
    fc.assert(fc.property(ids, ids, ids, (a, b, c) => levenshtein(a, c) <= levenshtein(a, b) + levenshtein(b, c)));
  });
  it('between |len difference| and max length', () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        const d = levenshtein(a, b);
        return d >= Math.abs(a.length - b.length) && d <= Math.max(a.length, b.length);
      }),
    );
  });
  it('character edit distance is symmetric and bounded on any Unicode strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 10 }), fc.string({ unit: 'binary', maxLength: 10 }), (a, b) => {
        const d = charEditDistance(a, b);
        expect(d).toBe(charEditDistance(b, a));
        expect(d).toBeLessThanOrEqual(Math.max([...a.trim()].length, [...b.trim()].length));
      }),
    );
  });
});
