import { describe, expect, it } from 'vitest';
import { planBatches } from '../../../src/lib/engine/batching.ts';
import { encodePair, trimGreedyOutput } from '../../../src/lib/engine/tokenize.ts';

// A toy word-piece tokenizer where " 12" is one token but "12" alone is another: the split must
// follow how the whole string is encoded (lm-evaluation-harness `_encode_pair`).
const VOCAB = ['Q', ':', ' 12', '12', ' ', 'A', '\n', '3', '<eos>'];
function encode(text: string): number[] {
  const ids: number[] = [];
  let rest = text;
  while (rest.length) {
    const hit = [...VOCAB.keys()].filter((i) => rest.startsWith(VOCAB[i])).sort((a, b) => VOCAB[b].length - VOCAB[a].length)[0];
    if (hit === undefined) throw new Error(`untokenizable: ${rest}`);
    ids.push(hit);
    rest = rest.slice(VOCAB[hit].length);
  }
  return ids;
}
const decode = (ids: number[]) => ids.filter((i) => VOCAB[i] !== '<eos>').map((i) => VOCAB[i]).join('');

describe('context/continuation split', () => {
  it('moves trailing spaces of the context onto the continuation', () => {
    const { contextIds, continuationIds } = encodePair(encode, 'A: ', '12');
    expect(contextIds.map((i) => VOCAB[i])).toEqual(['A', ':']);
    expect(continuationIds.map((i) => VOCAB[i])).toEqual([' 12']);
  });
  it('refuses empty targets and prompts', () => {
    expect(() => encodePair(encode, 'A:', '')).toThrow(/empty target/);
    expect(() => encodePair(encode, '   ', '12')).toThrow(/empty prompt/);
  });
});

describe('greedy output trimming', () => {
  const eos = [8];
  it('keeps ids through the end token', () => {
    expect(trimGreedyOutput([3, 7, 8, 7, 7], 10, eos, ['\n'], decode)).toEqual({ ids: [3, 7, 8], text: '123' });
  });
  it('stops before a token that starts with a stop string', () => {
    expect(trimGreedyOutput([2, 6, 7], 10, eos, ['\n'], decode)).toEqual({ ids: [2], text: ' 12' });
  });
  it('never keeps more than the cap', () => {
    expect(trimGreedyOutput([7, 7, 7, 7], 2, eos, ['\n'], decode)).toEqual({ ids: [7, 7], text: '33' });
  });
});

describe('batch planning', () => {
  it('respects the row cap and the logits budget, longest first', () => {
    const lens = [5, 9, 3, 9, 7, 1];
    const byCap = planBatches(lens, (x) => x, 10, 2, Infinity);
    expect(byCap).toEqual([[9, 9], [7, 5], [3, 1]]);
    // budget 4 bytes * 10 vocab * 9 len * 2 rows = 720 bytes allows two rows of length 9
    const byBudget = planBatches(lens, (x) => x, 10, 100, 720);
    expect(byBudget.every((b) => b.length * Math.max(...b) * 10 * 4 <= 720 || b.length === 1)).toBe(true);
    expect(byBudget.flat().sort()).toEqual([...lens].sort());
  });
});
