import { describe, expect, it } from 'vitest';
import { charDiff, diffSegmentLabel, DIFF_MAX_CELLS, filterItems, isNearMiss, splitTrim } from '../../../src/lib/charts/items.ts';
import { charEditDistance } from '../../../src/lib/metrics/editDistance.ts';
import { digitAccuracy } from '../../../src/lib/metrics/digitAccuracy.ts';
import type { ChoiceItemRecord, GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { item } from './fixtures.ts';

/** A generation item whose output is `output` (metrics as the registry computes them, edit distances on characters). */
function answered(target: string, output: string): GenerationItemRecord {
  const base = item('add/4d', 0, false);
  const ced = charEditDistance(target, output);
  return {
    ...base,
    target,
    output_text: output,
    metrics: { ...base.metrics, exact_match: target.trim() === output.trim() ? 1 : 0, char_edit_distance: ced, token_edit_distance: ced, digit_accuracy: digitAccuracy(target, output) },
  };
}

/** Both sides rebuilt from the segments: the output and the target. */
function sides(segs: NonNullable<ReturnType<typeof charDiff>>): { output: string; target: string; edits: number } {
  let output = '';
  let target = '';
  let edits = 0;
  for (const s of segs) {
    if (s.kind === 'same') {
      output += s.text;
      target += s.text;
    } else if (s.kind === 'changed') {
      output += s.text;
      target += s.expected;
      edits += [...s.text].length;
    } else if (s.kind === 'extra') {
      output += s.text;
      edits += [...s.text].length;
    } else {
      target += s.expected;
      edits += [...s.expected].length;
    }
  }
  return { output, target, edits };
}

describe('charDiff', () => {
  it('one changed digit: 1159 for 1155', () => {
    expect(charDiff('1155', '1159')).toEqual([
      { kind: 'same', text: '115' },
      { kind: 'changed', text: '9', expected: '5' },
    ]);
  });
  it('identical strings are one same segment; whitespace around them is trimmed like exact match', () => {
    expect(charDiff(' 42', '42 ')).toEqual([{ kind: 'same', text: '42' }]);
    expect(charDiff('', '')).toEqual([]);
  });
  it('a missing and an extra character (of equal alignments, the one matching the last characters: numbers align from the units)', () => {
    expect(charDiff('1155', '115')).toEqual([
      { kind: 'same', text: '11' },
      { kind: 'missing', expected: '5' },
      { kind: 'same', text: '5' },
    ]);
    expect(charDiff('115', '1155')).toEqual([
      { kind: 'same', text: '11' },
      { kind: 'extra', text: '5' },
      { kind: 'same', text: '5' },
    ]);
    expect(charDiff('12', '')).toEqual([{ kind: 'missing', expected: '12' }]);
  });
  it('rebuilds both strings, with as many edits as the character edit distance (code points)', () => {
    const pairs: [string, string][] = [['1155', '1951'], ['hello', 'yellow'], ['9999', '10000'], ['-12', '12'], ['naïve 🙂', 'naive 🙃!'], ['abc', 'xyz']];
    for (const [t, o] of pairs) {
      const segs = charDiff(t, o)!;
      const r = sides(segs);
      expect(r.output).toBe(o.trim());
      expect(r.target).toBe(t.trim());
      expect(r.edits).toBe(charEditDistance(t, o));
    }
  });
  it('too long to align: null, not a wrong diff', () => {
    const long = 'x'.repeat(Math.ceil(Math.sqrt(DIFF_MAX_CELLS)) + 1);
    expect(charDiff(long, long + 'y')).toBeNull();
  });
  it('screen-reader text names what differs', () => {
    expect(diffSegmentLabel({ kind: 'changed', text: '9', expected: '5' })).toBe(' (differs: target has 5)');
    expect(diffSegmentLabel({ kind: 'missing', expected: '5' })).toBe('(missing: 5)');
    expect(diffSegmentLabel({ kind: 'same', text: '1' })).toBe('');
  });
});

describe('near misses', () => {
  it('wrong with at least half the digits right, or one edit away', () => {
    expect(isNearMiss(answered('1155', '1159'))).toBe(true); // 3 of 4 digits, 1 edit
    expect(isNearMiss(answered('1155', '1199'))).toBe(true); // 2 of 4 digits
    expect(isNearMiss(answered('1155', '9999'))).toBe(false); // 0 of 4, 4 edits
    expect(isNearMiss(answered('1155', '155'))).toBe(true); // 3 of 4 aligned from the units, 1 edit
    expect(isNearMiss(answered('1155', '1155'))).toBe(false); // right is not a miss
  });
  it('a word one character off (no digits) is a near miss through the edit distance', () => {
    const base = answered('1', '2');
    const word: GenerationItemRecord = { ...base, target: 'cat', output_text: 'cap', metrics: { ...base.metrics, exact_match: 0, digit_accuracy: null, char_edit_distance: 1, token_edit_distance: 1 } };
    expect(isNearMiss(word)).toBe(true);
    expect(isNearMiss({ ...word, metrics: { ...word.metrics, char_edit_distance: 2, token_edit_distance: 2 } })).toBe(false);
  });
  it('choice items are never near misses', () => {
    const c = { kind: 'choice', metrics: { mc_grade: 0 } } as unknown as ChoiceItemRecord;
    expect(isNearMiss(c)).toBe(false);
  });
  it('the explorer filter "near misses" keeps exactly those', () => {
    const items = [answered('1155', '1159'), answered('1155', '9999'), answered('1155', '1155'), answered('20', '21')];
    expect(filterItems(items, { variant: 'all', correctness: 'near', query: '' }).map((i) => (i as GenerationItemRecord).output_text)).toEqual(['1159', '21']);
  });
});

describe('splitTrim', () => {
  it('keeps the whitespace around the text the diff covers', () => {
    expect(splitTrim(' 12 \n')).toEqual([' ', '12', ' \n']);
    expect(splitTrim('12')).toEqual(['', '12', '']);
    expect(splitTrim('   ')).toEqual(['   ', '', '']);
  });
});
