import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyOperation } from '../../../src/lib/tasks/arithmetic.ts';
import { distractors, droppedCarrySum, generateAddChoiceItems } from '../../../src/lib/tasks/add-choice.ts';
import { createRng } from '../../../src/lib/tasks/prng.ts';
import { describeTask, generateItems, TASK_KINDS, taskItemCount, taskRequestTypes, taskVariants, variantLabelOf } from '../../../src/lib/tasks/registry.ts';
import type { AddChoiceTask, ArithmeticTask } from '../../../src/lib/tasks/schema.ts';
import { parseSpec } from '../../../src/lib/spec/parse.ts';

const arith: ArithmeticTask = { kind: 'arithmetic', operation: 'add', digits: [1, 3], perVariant: 5, seed: 7, kShot: 0, template: 'arith-plain' };
const choice: AddChoiceTask = { kind: 'add-choice', digits: [2, 4], perVariant: 6, seed: 7, kShot: 0, choices: 4, template: 'arith-plain' };

describe('task registry', () => {
  it('every kind answers the same questions', () => {
    expect(TASK_KINDS.map((k) => k.id)).toEqual(['arithmetic', 'add-choice', 'imported']);
    expect(taskVariants(arith)).toEqual(['add/1d', 'add/3d']);
    expect(taskVariants(choice)).toEqual(['add-choice/2d', 'add-choice/4d']);
    expect(variantLabelOf(arith, 'add/3d')).toBe('3-digit');
    expect(taskItemCount(choice)).toBe(generateItems(choice).length);
    expect(taskRequestTypes(arith)).toEqual(['generation']);
    expect(taskRequestTypes(choice)).toEqual(['choice']);
    expect(describeTask(choice)).toBe('addition as multiple choice (4 choices), 2, 4 digits, 6 per variant');
    expect(() => generateItems({ kind: 'imported', name: 'x', format: 'bigbench', hash: 'a'.repeat(64), perVariant: 1, seed: 1, kShot: 0 })).toThrow(/task file "x" is needed/);
  });

  it('specs of every kind validate; a kind the registry does not know is refused', () => {
    const base = { format: 'emergence-lab/spec', version: 1, appVersion: '0.1.0', models: [{ id: 'arith/a', source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' }], bootstrapSeed: 1 };
    expect(parseSpec({ ...base, task: choice, metrics: ['mc_grade', 'brier_score'] }).task).toEqual(choice);
    expect(() => parseSpec({ ...base, task: { ...choice, choices: 9 } })).toThrow(/choices per item must be at most 5/);
    expect(() => parseSpec({ ...base, task: { ...choice, kind: 'riddles' } })).toThrow(/task kind must be one of/);
    // Specs from before the registry (no metrics) still read, as arithmetic with every generation metric.
    expect(parseSpec({ ...base, task: arith }).metrics).toContain('exact_match');
  });
});

describe('add-choice items', () => {
  it('hold the true sum once among distinct typical wrong sums, at a seeded position', () => {
    const items = generateAddChoiceItems(choice);
    expect(items).toHaveLength(12);
    const positions = new Set<number>();
    for (const item of items) {
      const { a, b } = item.meta as { a: number; b: number };
      expect(item.prompt).toBe(`${a}+${b}=`);
      expect(item.choices).toHaveLength(4);
      expect(new Set(item.choices).size).toBe(4);
      expect(item.choices[item.answerIndex]).toBe(applyOperation('add', a, b));
      expect(item.choices.filter((c) => c === applyOperation('add', a, b))).toHaveLength(1);
      expect(item.endToken).toBe(true);
      positions.add(item.answerIndex);
    }
    expect(positions.size).toBeGreaterThan(1);
    expect(generateAddChoiceItems(choice)).toEqual(items);
  });

  it('a dropped carry is the digit-wise sum mod 10', () => {
    expect(droppedCarrySum(58, 67)).toBe('15');
    expect(droppedCarrySum(5, 7)).toBe('2');
    expect(droppedCarrySum(123, 456)).toBe('579');
  });

  it('distractors are always enough, distinct, non-negative and wrong (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (a, b, count, seed) => {
        const wrong = distractors(a, b, count, createRng(seed));
        expect(wrong).toHaveLength(count);
        expect(new Set(wrong).size).toBe(count);
        for (const w of wrong) {
          expect(w).toMatch(/^(0|[1-9]\d*)$/);
          expect(w).not.toBe(String(a + b));
        }
      }),
      { numRuns: 300 },
    );
  });
});
