/**
 * The task registry, in the spirit of lm-evaluation-harness's output_type: every task kind
 * registers its label, its request types, how it turns a spec into items, its variants and how
 * a variant is named. Nothing outside src/lib/tasks knows what arithmetic is: the runner,
 * charts, tables, form, CLI, links and storage ask this table.
 *
 * Adding a task kind: a schema in schema.ts (joined into TaskSpecSchema), one file with its
 * generator, one entry below, and a line in docs/tasks.md.
 */
import { generateAddChoiceItems } from './add-choice.ts';
import { generateArithmeticItems, variantKey } from './arithmetic.ts';
import { TaskError } from './errors.ts';
import type { ImportedTaskData } from './imported/data.ts';
import { generateImportedItems, importedItemCount, importedVariants } from './imported/generate.ts';
import type { TaskKindId, TaskSpec } from './schema.ts';
import type { RequestType, TaskItem } from './types.ts';

/** What generating items may need beyond the spec: the examples of an imported task. */
export interface TaskResources {
  taskData?: ImportedTaskData | null;
}

export interface TaskKind<T extends TaskSpec = TaskSpec> {
  id: T['kind'];
  /** Name in menus, e.g. "Arithmetic (generation)". */
  label: string;
  /** Short, for titles and file names. */
  shortLabel: string;
  /** Request types its items use (an imported task may use both). */
  requestTypes(task: T, resources: TaskResources): RequestType[];
  generate(task: T, resources: TaskResources): TaskItem[];
  /** Variants in display order (one chart line each). */
  variants(task: T, resources: TaskResources): string[];
  /** A variant as visitors read it: "3-digit", "my-task (multiple choice)". */
  variantLabel(task: T, variant: string): string;
  /** How many items the spec produces. */
  itemCount(task: T, resources: TaskResources): number;
  /** One line describing the task, e.g. "addition, 1–5 digits, 40 per variant". */
  describe(task: T): string;
  /** Whether generating items needs an imported task file. */
  needsTaskData: boolean;
}

const OP_WORD = { add: 'addition', sub: 'subtraction', mul: 'multiplication' } as const;

function digitRange(digits: readonly number[]): string {
  const sorted = [...digits].sort((a, b) => a - b);
  const contiguous = sorted.every((d, i) => i === 0 || d === sorted[i - 1] + 1);
  if (sorted.length > 1 && contiguous) return `${sorted[0]}–${sorted[sorted.length - 1]} digits`;
  return `${sorted.join(', ')} digit${sorted.length === 1 && sorted[0] === 1 ? '' : 's'}`;
}

function digitLabel(variant: string): string {
  const m = /\/(\d+)d$/.exec(variant);
  return m ? `${m[1]}-digit` : variant;
}

function requireData(resources: TaskResources, name: string): ImportedTaskData {
  if (!resources.taskData) throw new TaskError(`The task file "${name}" is needed to make this experiment's items: open it (or the run's JSON file, which embeds it).`);
  return resources.taskData;
}

const arithmetic: TaskKind<Extract<TaskSpec, { kind: 'arithmetic' }>> = {
  id: 'arithmetic',
  label: 'Arithmetic (generation)',
  shortLabel: 'arithmetic',
  needsTaskData: false,
  requestTypes: () => ['generation'],
  generate: (task) => generateArithmeticItems(task),
  variants: (task) => task.digits.map((d) => variantKey(task.operation, d)),
  variantLabel: (_task, variant) => digitLabel(variant),
  itemCount: (task) => task.digits.length * task.perVariant,
  describe: (task) => `${OP_WORD[task.operation]}, ${digitRange(task.digits)}, ${task.perVariant} per variant`,
};

const addChoice: TaskKind<Extract<TaskSpec, { kind: 'add-choice' }>> = {
  id: 'add-choice',
  label: 'Addition, multiple choice',
  shortLabel: 'add-choice',
  needsTaskData: false,
  requestTypes: () => ['choice'],
  generate: (task) => generateAddChoiceItems(task),
  variants: (task) => task.digits.map((d) => `add-choice/${d}d`),
  variantLabel: (_task, variant) => digitLabel(variant),
  itemCount: (task) => task.digits.length * task.perVariant,
  describe: (task) => `addition as multiple choice (${task.choices} choices), ${digitRange(task.digits)}, ${task.perVariant} per variant`,
};

const imported: TaskKind<Extract<TaskSpec, { kind: 'imported' }>> = {
  id: 'imported',
  label: 'Task file (BIG-bench JSON or JSONL)',
  shortLabel: 'task file',
  needsTaskData: true,
  requestTypes: (task, res) => {
    const parts = importedVariants(requireData(res, task.name)).map((v) => v.part);
    return parts.map((p) => (p === 'mc' ? 'choice' : 'generation'));
  },
  generate: (task, res) => generateImportedItems(task, requireData(res, task.name)),
  variants: (task, res) => importedVariants(requireData(res, task.name)).map((v) => v.variant),
  variantLabel: (task, variant) => {
    if (variant.endsWith('/mc')) return `${task.name} (multiple choice)`;
    if (variant.endsWith('/gen')) return `${task.name} (generation)`;
    return task.name;
  },
  itemCount: (task, res) => importedItemCount(requireData(res, task.name), task.perVariant),
  describe: (task) => `${task.name} (${task.format === 'jsonl' ? 'JSONL' : 'BIG-bench JSON'} task file), up to ${task.perVariant} examples per variant`,
};

export const TASK_KINDS = [arithmetic, addChoice, imported] as const;

export function getTaskKind<T extends TaskSpec>(task: T): TaskKind<T> {
  const kind = TASK_KINDS.find((k) => k.id === task.kind);
  if (!kind) throw new TaskError(`Unknown task kind "${String((task as { kind: unknown }).kind)}".`);
  return kind as unknown as TaskKind<T>;
}

export function isTaskKindId(id: string): id is TaskKindId {
  return TASK_KINDS.some((k) => k.id === id);
}

/** Items of a spec's task (TaskError when the spec cannot produce them). */
export function generateItems(task: TaskSpec, resources: TaskResources = {}): TaskItem[] {
  return getTaskKind(task).generate(task, resources);
}

export function taskVariants(task: TaskSpec, resources: TaskResources = {}): string[] {
  return getTaskKind(task).variants(task, resources);
}

export function variantLabelOf(task: TaskSpec | null | undefined, variant: string): string {
  return task ? getTaskKind(task).variantLabel(task, variant) : digitLabel(variant);
}

export function taskItemCount(task: TaskSpec, resources: TaskResources = {}): number {
  return getTaskKind(task).itemCount(task, resources);
}

export function taskRequestTypes(task: TaskSpec, resources: TaskResources = {}): RequestType[] {
  return getTaskKind(task).requestTypes(task, resources);
}

export function describeTask(task: TaskSpec): string {
  return getTaskKind(task).describe(task);
}
