/**
 * Multiple-choice addition ("a+b=" with the true sum among distractors), so the offline ladder
 * shows the multiple-choice half of the mirage: MC grade (discontinuous) next to the Brier score
 * and the probability of the correct choice (continuous). Distractors imitate typical errors:
 * a dropped carry, one digit off by one, two neighbouring digits swapped, a neighbouring sum.
 * Operands, distractors and the answer's position come from seeded per-variant streams.
 */
import { applyOperation, operand, problemSpaceSize, validateArithmetic } from './arithmetic.ts';
import { TaskError } from './errors.ts';
import { createRng, deriveSeed, type Rng } from './prng.ts';
import { MAX_CHOICES, MIN_CHOICES, type AddChoiceTask } from './schema.ts';
import { getTemplate, renderPrompt, type TemplateParts } from './templates.ts';
import type { ChoiceItem } from './types.ts';

export function addChoiceVariant(digits: number): string {
  return `add-choice/${digits}d`;
}

/** Digit-wise sum without carries: 58+67 → "15" (5+6=11→1, 8+7=15→5). */
export function droppedCarrySum(a: number, b: number): string {
  const xs = String(a).split('').reverse();
  const ys = String(b).split('').reverse();
  const out: number[] = [];
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) out.push((Number(xs[i] ?? 0) + Number(ys[i] ?? 0)) % 10);
  return String(Number(out.reverse().join('')));
}

function oneDigitOff(sum: string, rng: Rng): string {
  const i = rng.int(0, sum.length - 1);
  const d = Number(sum[i]);
  const up = rng.int(0, 1) === 1;
  let nd = up ? d + 1 : d - 1;
  if (nd > 9) nd = d - 1;
  if (nd < 0 || (i === 0 && nd === 0 && sum.length > 1)) nd = d + 1 > 9 ? d - 1 : d + 1;
  return sum.slice(0, i) + String(nd) + sum.slice(i + 1);
}

function swapNeighbours(sum: string, rng: Rng): string | null {
  const spots: number[] = [];
  for (let i = 0; i + 1 < sum.length; i++) if (sum[i] !== sum[i + 1] && !(i === 0 && sum[1] === '0')) spots.push(i);
  if (spots.length === 0) return null;
  const i = spots[rng.int(0, spots.length - 1)];
  return sum.slice(0, i) + sum[i + 1] + sum[i] + sum.slice(i + 2);
}

/**
 * `count` distinct wrong answers for a + b, typical errors first (in a seeded order), then
 * neighbouring sums ±1, ±2, … until there are enough. Never the true sum, never negative.
 */
export function distractors(a: number, b: number, count: number, rng: Rng): string[] {
  const truth = applyOperation('add', a, b);
  const n = Number(truth);
  const out: string[] = [];
  const add = (s: string | null) => {
    if (s !== null && s !== truth && /^\d+$/.test(s) && !/^0\d/.test(s) && !out.includes(s)) out.push(s);
  };
  const typical = [
    () => droppedCarrySum(a, b),
    () => oneDigitOff(truth, rng),
    () => swapNeighbours(truth, rng),
    () => String(n + (rng.int(0, 1) === 1 ? 1 : -1)),
    () => String(n + (rng.int(0, 1) === 1 ? 10 : -10)),
  ];
  // Seeded Fisher–Yates so the kinds of error are mixed across items.
  for (let i = typical.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [typical[i], typical[j]] = [typical[j], typical[i]];
  }
  for (const make of typical) {
    if (out.length >= count) break;
    add(make());
  }
  for (let step = 1; out.length < count; step++) {
    add(String(n + step));
    if (out.length < count && n - step >= 0) add(String(n - step));
  }
  return out.slice(0, count);
}

export function generateAddChoiceItems(task: AddChoiceTask): ChoiceItem[] {
  validateArithmetic({ operation: 'add', digits: task.digits, perVariant: task.perVariant, kShot: task.kShot });
  if (!Number.isInteger(task.choices) || task.choices < MIN_CHOICES || task.choices > MAX_CHOICES) {
    throw new TaskError(`Choices per item must be a whole number from ${MIN_CHOICES} to ${MAX_CHOICES}, got ${task.choices}.`);
  }
  const template = getTemplate(task.template);
  // The continuation is the answer as the template writes it: its leading space (if any) is the delimiter.
  const delimiter = template.answer({ a: 0, b: 0, operation: 'add', answer: 'x' }).slice(0, -1);
  const items: ChoiceItem[] = [];
  for (const digits of task.digits) {
    const space = problemSpaceSize(digits);
    if (task.perVariant > space) {
      throw new TaskError(`Only ${space} distinct ${digits}-digit problems exist; ask for at most ${space} items per variant.`);
    }
    const rng = createRng(deriveSeed(task.seed, 'add-choice', digits, 'items'));
    const choiceRng = createRng(deriveSeed(task.seed, 'add-choice', digits, 'choices'));
    const shotRng = createRng(deriveSeed(task.seed, 'add-choice', digits, 'shots'));
    const seen = new Set<string>();
    const variant = addChoiceVariant(digits);
    while (seen.size < task.perVariant) {
      const a = operand(rng, digits);
      const b = operand(rng, digits);
      if (seen.has(`${a},${b}`)) continue;
      seen.add(`${a},${b}`);
      const truth = applyOperation('add', a, b);
      const wrong = distractors(a, b, task.choices - 1, choiceRng);
      const answerIndex = choiceRng.int(0, wrong.length);
      const choices = [...wrong.slice(0, answerIndex), truth, ...wrong.slice(answerIndex)];
      const shots: TemplateParts[] = [];
      while (shots.length < task.kShot) {
        const sa = operand(shotRng, digits);
        const sb = operand(shotRng, digits);
        if (sa === a && sb === b) continue;
        shots.push({ a: sa, b: sb, operation: 'add', answer: applyOperation('add', sa, sb) });
      }
      items.push({
        kind: 'choice',
        id: `add-choice-${digits}d-${seen.size - 1}`,
        variant,
        prompt: renderPrompt(template, shots, { a, b, operation: 'add', answer: truth }),
        choices,
        delimiter,
        endToken: template.endToken,
        answerIndex,
        targetScores: null,
        meta: { operation: 'add', digits, a, b },
      });
    }
  }
  return items;
}
