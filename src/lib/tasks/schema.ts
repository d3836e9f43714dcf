/**
 * The task part of an ExperimentSpec, one valibot schema per task kind, joined into a
 * discriminated union on `kind`. Each kind's generator, labels and request type live in its own
 * file and are registered in registry.ts; this file only says what a valid configuration is.
 */
import * as v from 'valibot';

export const OPERATIONS = ['add', 'sub', 'mul'] as const;
export const TEMPLATE_IDS = ['arith-plain', 'qa', 'math-expr'] as const;
export const IMPORTED_FORMATS = ['bigbench', 'jsonl'] as const;

/** Digit counts the arithmetic generators accept (operands of n digits). */
export const MIN_DIGITS = 1;
export const MAX_DIGITS = 8;
/** Items per task variant: enough to show resolution effects, small enough for a browser. */
export const MAX_ITEMS_PER_VARIANT = 1000;
export const MAX_K_SHOT = 8;
/** Choices per generated multiple-choice item (the true sum + distractors). */
export const MIN_CHOICES = 2;
export const MAX_CHOICES = 5;

export const IntIn = (min: number, max: number, what: string) =>
  v.pipe(
    v.number(`${what} must be a number`),
    v.integer(`${what} must be a whole number`),
    v.minValue(min, `${what} must be at least ${min}`),
    v.maxValue(max, `${what} must be at most ${max}`),
  );

const DigitsSchema = v.pipe(
  v.array(IntIn(MIN_DIGITS, MAX_DIGITS, 'digit count')),
  v.minLength(1, 'choose at least one digit count'),
  v.maxLength(MAX_DIGITS, 'too many digit counts'),
  v.check((d) => new Set(d).size === d.length, 'digit counts must not repeat'),
);

const common = {
  perVariant: IntIn(1, MAX_ITEMS_PER_VARIANT, 'items per variant'),
  seed: IntIn(0, 2 ** 31 - 1, 'seed'),
  kShot: IntIn(0, MAX_K_SHOT, 'k-shot'),
};

/** "a+b=" style problems answered by generation (exact match, edit distances, log-probs). */
export const ArithmeticTaskSchema = v.object({
  kind: v.literal('arithmetic'),
  operation: v.picklist(OPERATIONS, `operation must be one of ${OPERATIONS.join(', ')}`),
  digits: DigitsSchema,
  ...common,
  template: v.picklist(TEMPLATE_IDS, `template must be one of ${TEMPLATE_IDS.join(', ')}`),
});

/** "a+b=" with the true sum among seeded distractors: scored as multiple choice. */
export const AddChoiceTaskSchema = v.object({
  kind: v.literal('add-choice'),
  digits: DigitsSchema,
  ...common,
  choices: IntIn(MIN_CHOICES, MAX_CHOICES, 'choices per item'),
  template: v.picklist(TEMPLATE_IDS, `template must be one of ${TEMPLATE_IDS.join(', ')}`),
});

/**
 * A task file a visitor brought (BIG-bench JSON or JSONL). The spec names it by name and the
 * SHA-256 of its normalized content; the examples travel with the run (RunResult.task_data),
 * in a share link when they fit, or as the file itself.
 */
export const ImportedTaskSchema = v.object({
  kind: v.literal('imported'),
  name: v.pipe(v.string(), v.minLength(1, 'the task needs a name'), v.maxLength(120, 'task names are at most 120 characters')),
  format: v.picklist(IMPORTED_FORMATS, `format must be one of ${IMPORTED_FORMATS.join(', ')}`),
  hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'the task hash must be 64 lowercase hex digits (SHA-256)')),
  ...common,
});

export const TaskSpecSchema = v.variant(
  'kind',
  [ArithmeticTaskSchema, AddChoiceTaskSchema, ImportedTaskSchema],
  'task kind must be one of: arithmetic, add-choice, imported',
);

export type ArithmeticTask = v.InferOutput<typeof ArithmeticTaskSchema>;
export type AddChoiceTask = v.InferOutput<typeof AddChoiceTaskSchema>;
export type ImportedTask = v.InferOutput<typeof ImportedTaskSchema>;
export type TaskSpec = v.InferOutput<typeof TaskSpecSchema>;
export type TaskKindId = TaskSpec['kind'];
export type Operation = (typeof OPERATIONS)[number];
export type TemplateId = (typeof TEMPLATE_IDS)[number];
export type ImportedFormat = (typeof IMPORTED_FORMATS)[number];
