import { describe, expect, it } from 'vitest';
import { docHash, hashString, pythonJsonDumpsIndent2, toYaml, parseParamsTable, InteropError } from '../../../src/lib/interop/index.ts';

describe('lm-eval hashes', () => {
  it('doc_hash equals Python json.dumps(doc, indent=2, ensure_ascii=False) hashed with sha256 (value computed with CPython 3)', () => {
    const doc = { id: 'x/mc-1', prompt: 'Q: "é" ü\tτ\u0001\\ 😀\nA:', choices: ['1', 'ü 2'], answer: 1 };
    expect(pythonJsonDumpsIndent2(doc)).toBe('{\n  "id": "x/mc-1",\n  "prompt": "Q: \\"é\\" ü\\tτ\\u0001\\\\ 😀\\nA:",\n  "choices": [\n    "1",\n    "ü 2"\n  ],\n  "answer": 1\n}');
    expect(docHash(doc)).toBe('9ff95c6db501f4316837ccc91d43778a5f0d311fc71767aa17285d0449c1d9f9');
    expect(hashString('1')).toBe('6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b');
  });
  it('refuses floats in docs (Python writes 1.0 where JavaScript writes 1)', () => {
    expect(() => pythonJsonDumpsIndent2({ p: 0.5 })).toThrow(/whole number/);
  });
});

describe('YAML emitter', () => {
  it('quotes every string as JSON, nests mappings and lists of mappings', () => {
    const text = toYaml({ task: 'a: b # c', list: ['\n', 'x'], m: [{ metric: 'acc', n: 1 }], empty: [], flag: false }, ['header']);
    expect(text).toBe('# header\ntask: "a: b # c"\nlist:\n  - "\\n"\n  - "x"\nm:\n  - metric: "acc"\n    n: 1\nempty: []\nflag: false\n');
  });
});

describe('--params table', () => {
  it('reads counts with suffixes and refuses nonsense', () => {
    expect([...parseParamsTable('a/b=160m, c/d=1.4b,e/f=12000')]).toEqual([['a/b', 160_000_000], ['c/d', 1_400_000_000], ['e/f', 12_000]]);
    expect(() => parseParamsTable('a/b')).toThrow(InteropError);
    expect(() => parseParamsTable('a/b=lots')).toThrow(/count must be a number/);
  });
});
