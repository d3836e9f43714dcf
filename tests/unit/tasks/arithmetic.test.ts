import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyOperation, generateArithmeticItems, problemSpaceSize } from '../../../src/lib/tasks/arithmetic.ts';
import { TaskError } from '../../../src/lib/tasks/errors.ts';
import { createRng, deriveSeed } from '../../../src/lib/tasks/prng.ts';
import type { ArithmeticTask } from '../../../src/lib/spec/schema.ts';

const task = (over: Partial<ArithmeticTask> = {}): ArithmeticTask => ({
  kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4, 5], perVariant: 20, seed: 7, kShot: 0, template: 'arith-plain', ...over,
});

describe('seeded arithmetic items', () => {
  it('the same seed and config give identical items; another seed gives others', () => {
    expect(generateArithmeticItems(task())).toEqual(generateArithmeticItems(task()));
    expect(generateArithmeticItems(task({ seed: 8 }))).not.toEqual(generateArithmeticItems(task()));
  });

  it('pins the first items of the default seed (same in every browser and in Node)', () => {
    // pure-rand xoroshiro128+ is specified bit-for-bit; if this changes, shared links break.
    const items = generateArithmeticItems(task({ digits: [1, 5], perVariant: 2 }));
    expect(items.map((i) => `${i.prompt}${i.target}`)).toEqual(['9+8=17', '0+3=3', '64585+44677=109262', '38937+87516=126453']);
  });

  it('adding a digit count leaves the other variants unchanged', () => {
    const few = generateArithmeticItems(task({ digits: [2, 4] }));
    const more = generateArithmeticItems(task({ digits: [1, 2, 3, 4] }));
    expect(more.filter((i) => i.meta.digits === 2 || i.meta.digits === 4)).toEqual(few);
  });

  it('n-digit operands have exactly n digits, items are distinct, answers are exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.constantFrom('add', 'sub', 'mul' as const), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (digits, operation, seed) => {
        const items = generateArithmeticItems(task({ digits: [digits], operation, seed, perVariant: 10 }));
        expect(items).toHaveLength(10);
        expect(new Set(items.map((i) => i.prompt)).size).toBe(10);
        for (const i of items) {
          for (const x of [i.meta.a, i.meta.b]) expect(String(x)).toHaveLength(digits);
          expect(i.target).toBe(applyOperation(operation, Number(i.meta.a), Number(i.meta.b)));
          expect(i.variant).toBe(`${operation}/${digits}d`);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('computes 8-digit products exactly (beyond 2^53)', () => {
    expect(applyOperation('mul', 99999999, 99999999)).toBe('9999999800000001');
    expect(applyOperation('sub', 3, 10)).toBe('-7');
  });

  it('k-shot prompts hold k solved examples and never the question itself', () => {
    const [item] = generateArithmeticItems(task({ template: 'qa', kShot: 3, digits: [2], perVariant: 1 }));
    expect(item.prompt.split('\n\n')).toHaveLength(4);
    expect(item.prompt.endsWith(`Q: What is ${item.meta.a} plus ${item.meta.b}?\nA:`)).toBe(true);
    expect(item.target).toBe(` ${Number(item.meta.a) + Number(item.meta.b)}`);
    expect(item.endToken).toBe(false);
  });

  it('refuses bad configurations with TaskError messages a user can act on', () => {
    expect(() => generateArithmeticItems(task({ digits: [0] }))).toThrow(TaskError);
    expect(() => generateArithmeticItems(task({ digits: [9] }))).toThrow(/out of range/);
    expect(() => generateArithmeticItems(task({ perVariant: 0 }))).toThrow(/Items per variant/);
    expect(() => generateArithmeticItems(task({ digits: [1], perVariant: 101 }))).toThrow(/Only 100 distinct 1-digit problems/);
    expect(() => generateArithmeticItems(task({ kShot: 2 }))).toThrow(/no k-shot form/);
    expect(() => generateArithmeticItems(task({ template: 'nope' as never }))).toThrow(/Unknown prompt template/);
    expect(() => generateArithmeticItems(task({ operation: 'div' as never }))).toThrow(/Unknown arithmetic operation/);
    expect(() => generateArithmeticItems(task({ digits: [] }))).toThrow(/at least one digit count/);
  });

  it('problem space sizes', () => {
    expect(problemSpaceSize(1)).toBe(100);
    expect(problemSpaceSize(2)).toBe(8100);
  });

  it('seed derivation separates streams and the PRNG stays in range', () => {
    expect(deriveSeed(7, 'add', 3)).not.toBe(deriveSeed(7, 'add', 4));
    const rng = createRng(1);
    for (let i = 0; i < 1000; i++) {
      const x = rng.int(3, 5);
      expect(x >= 3 && x <= 5).toBe(true);
    }
  });
});
