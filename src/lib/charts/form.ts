/**
 * The experiment builder's state and its validation: the form becomes an ExperimentSpec only
 * through parseSpec and the task generator, and each problem is reported next to its field.
 */
import { defaultSpec, ladderModelId, modelsByScale, type LadderManifest } from '../catalog/ladder.ts';
import { SpecError } from '../spec/errors.ts';
import { parseSpec } from '../spec/parse.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import { generateArithmeticItems } from '../tasks/arithmetic.ts';
import { TaskError } from '../tasks/errors.ts';

export type Backend = 'webgpu' | 'wasm';

export interface ExperimentForm {
  /** Selected model ids ("arith/arith-l1-d12"); the spec lists them by scale whatever the order here. */
  models: string[];
  operation: string;
  digits: number[];
  /** Number inputs give null (or undefined) when empty; the validator says so. */
  perVariant: number | null | undefined;
  seed: number | null | undefined;
  kShot: number | null | undefined;
  template: string;
  backend: Backend;
}

export type FormField = 'models' | 'operation' | 'digits' | 'perVariant' | 'seed' | 'kShot' | 'template' | 'backend' | 'form';
export type FormErrors = Partial<Record<FormField, string>>;

export interface FormCheck {
  spec: ExperimentSpec | null;
  errors: FormErrors;
  /** Items per model when valid. */
  itemCount: number;
}

export function formFromSpec(spec: ExperimentSpec): ExperimentForm {
  return {
    models: spec.models.map((m) => m.id),
    operation: spec.task.operation,
    digits: [...spec.task.digits],
    perVariant: spec.task.perVariant,
    seed: spec.task.seed,
    kShot: spec.task.kShot,
    template: spec.task.template,
    backend: spec.models[0]?.device === 'webgpu' ? 'webgpu' : 'wasm',
  };
}

const FIELD_OF_PATH: [RegExp, FormField][] = [
  [/^task\.perVariant\b/, 'perVariant'],
  [/^task\.seed\b/, 'seed'],
  [/^task\.kShot\b/, 'kShot'],
  [/^task\.digits\b/, 'digits'],
  [/^task\.operation\b/, 'operation'],
  [/^task\.template\b/, 'template'],
  [/^models\b/, 'models'],
];

function sentence(text: string): string {
  const t = text.trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** SpecError issues ("task.perVariant: items per variant must be at most 1000") by form field. */
export function specErrorsByField(err: SpecError): FormErrors {
  const errors: FormErrors = {};
  const issues = err.issues.length > 0 ? err.issues : [err.message];
  for (const issue of issues) {
    const sep = issue.indexOf(': ');
    const path = sep >= 0 ? issue.slice(0, sep) : '';
    const message = sep >= 0 ? issue.slice(sep + 2) : issue;
    const field = FIELD_OF_PATH.find(([re]) => re.test(path))?.[1] ?? 'form';
    errors[field] ??= sentence(message);
  }
  return errors;
}

/** Which field a TaskError belongs to, from what it asks the visitor to change. */
export function taskErrorField(err: TaskError): FormField {
  const m = err.message;
  if (/k-shot/i.test(m)) return 'kShot';
  if (/items per variant|distinct/i.test(m)) return 'perVariant';
  if (/digit count|digit/i.test(m)) return 'digits';
  if (/template/i.test(m)) return 'template';
  if (/operation/i.test(m)) return 'operation';
  return 'form';
}

const orNull = (v: number | null | undefined): number | null => (v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v);

/** Validate the form; a spec comes back only when every check passed. */
export function checkForm(form: ExperimentForm, ladder: LadderManifest, webgpuAvailable: boolean): FormCheck {
  const errors: FormErrors = {};
  if (form.backend === 'webgpu' && !webgpuAvailable) errors.backend = 'This browser has no usable WebGPU; choose WASM.';
  const base = defaultSpec(ladder, form.backend);
  const chosen = new Set(form.models);
  const candidate = {
    ...base,
    task: {
      ...base.task,
      operation: form.operation,
      digits: [...form.digits].sort((a, b) => a - b),
      perVariant: orNull(form.perVariant),
      seed: orNull(form.seed),
      kShot: orNull(form.kShot),
      template: form.template,
    },
    models: modelsByScale(ladder)
      .filter((m) => chosen.has(ladderModelId(ladder, m)))
      .map((m) => ({ id: ladderModelId(ladder, m), source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device: form.backend })),
  };
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(candidate);
  } catch (err) {
    if (err instanceof SpecError) return { spec: null, errors: { ...specErrorsByField(err), ...errors }, itemCount: 0 };
    throw err;
  }
  let itemCount = 0;
  try {
    itemCount = generateArithmeticItems(spec.task).length;
  } catch (err) {
    if (err instanceof TaskError) return { spec: null, errors: { [taskErrorField(err)]: err.message, ...errors }, itemCount: 0 };
    throw err;
  }
  if (Object.keys(errors).length > 0) return { spec: null, errors, itemCount };
  return { spec, errors, itemCount };
}
