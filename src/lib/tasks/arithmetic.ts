/**
 * Seeded n-digit arithmetic items (BIG-bench style: both operands have n digits; one-digit
 * operands include 0). Each digit count has its own PRNG stream derived from (seed, operation,
 * digits), so adding a digit count to a spec never changes the items of the others.
 */
import { MAX_DIGITS, MAX_ITEMS_PER_VARIANT, MAX_K_SHOT, MIN_DIGITS, OPERATIONS, type ArithmeticTask, type Operation } from './schema.ts';
import { TaskError } from './errors.ts';
import { createRng, deriveSeed, type Rng } from './prng.ts';
import { getTemplate, renderPrompt, type TemplateParts } from './templates.ts';
import type { GenerationItem } from './types.ts';

/** Exact result as a decimal string (BigInt: 8-digit products exceed 2^53). */
export function applyOperation(op: Operation, a: number, b: number): string {
  const x = BigInt(a);
  const y = BigInt(b);
  switch (op) {
    case 'add':
      return (x + y).toString();
    case 'sub':
      return (x - y).toString();
    case 'mul':
      return (x * y).toString();
  }
}

/** How many distinct ordered operand pairs exist with n digits each. */
export function problemSpaceSize(digits: number): number {
  const perOperand = digits === 1 ? 10 : 9 * 10 ** (digits - 1);
  return perOperand * perOperand;
}

export function operand(rng: Rng, digits: number): number {
  return digits === 1 ? rng.int(0, 9) : rng.int(10 ** (digits - 1), 10 ** digits - 1);
}

export function variantKey(op: Operation, digits: number): string {
  return `${op}/${digits}d`;
}

/** Checks shared by the arithmetic kinds (operation, digits, items per variant, k-shot). */
export function validateArithmetic(task: Pick<ArithmeticTask, 'operation' | 'digits' | 'perVariant' | 'kShot'>): void {
  if (!(OPERATIONS as readonly string[]).includes(task.operation)) {
    throw new TaskError(`Unknown arithmetic operation "${task.operation}". Use one of: ${OPERATIONS.join(', ')}.`);
  }
  if (task.digits.length === 0) throw new TaskError('Choose at least one digit count.');
  for (const d of task.digits) {
    if (!Number.isInteger(d) || d < MIN_DIGITS || d > MAX_DIGITS) {
      throw new TaskError(`Digit count ${d} is out of range: use whole numbers from ${MIN_DIGITS} to ${MAX_DIGITS}.`);
    }
  }
  if (!Number.isInteger(task.perVariant) || task.perVariant <= 0 || task.perVariant > MAX_ITEMS_PER_VARIANT) {
    throw new TaskError(`Items per variant must be a whole number from 1 to ${MAX_ITEMS_PER_VARIANT}, got ${task.perVariant}.`);
  }
  if (!Number.isInteger(task.kShot) || task.kShot < 0 || task.kShot > MAX_K_SHOT) {
    throw new TaskError(`k-shot must be a whole number from 0 to ${MAX_K_SHOT}, got ${task.kShot}.`);
  }
}

/** Generate every item of the task, variants in the order of `task.digits`. */
export function generateArithmeticItems(task: ArithmeticTask): GenerationItem[] {
  validateArithmetic(task);
  const template = getTemplate(task.template);
  const items: GenerationItem[] = [];
  for (const digits of task.digits) {
    const space = problemSpaceSize(digits);
    if (task.perVariant > space) {
      throw new TaskError(`Only ${space} distinct ${digits}-digit problems exist; ask for at most ${space} items per variant.`);
    }
    const rng = createRng(deriveSeed(task.seed, task.operation, digits, 'items'));
    const shotRng = createRng(deriveSeed(task.seed, task.operation, digits, 'shots'));
    const seen = new Set<string>();
    const variant = variantKey(task.operation, digits);
    while (seen.size < task.perVariant) {
      const a = operand(rng, digits);
      const b = operand(rng, digits);
      const key = `${a},${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const parts: TemplateParts = { a, b, operation: task.operation, answer: applyOperation(task.operation, a, b) };
      const shots: TemplateParts[] = [];
      while (shots.length < task.kShot) {
        const sa = operand(shotRng, digits);
        const sb = operand(shotRng, digits);
        if (sa === a && sb === b) continue; // never show the answer to the question itself
        shots.push({ a: sa, b: sb, operation: task.operation, answer: applyOperation(task.operation, sa, sb) });
      }
      items.push({
        kind: 'generation',
        id: `${task.operation}-${digits}d-${seen.size - 1}`,
        variant,
        prompt: renderPrompt(template, shots, parts),
        target: template.answer(parts),
        endToken: template.endToken,
        stop: template.stop,
        meta: { operation: task.operation, digits, a, b },
      });
    }
  }
  return items;
}
