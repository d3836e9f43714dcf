/**
 * The experiment builder's state and its validation: the form becomes an ExperimentSpec only
 * through parseSpec and the task generator, and each problem is reported next to its field.
 *
 * Models come from the bundled ladder (the default) or from the Hub: a catalog ladder and/or
 * custom repositories the visitor added (probed first: architecture, parameters, dtypes). The
 * dtype is chosen per adapter ("auto") or given; Hub revisions are pinned later, when the run
 * is planned (Lab.prepareRun), unless the form came from a spec that pinned them.
 */
import { HUB_CATALOG, hubLadder, findHubModel, type HubCatalog } from '../catalog/hub-catalog.ts';
import { defaultSpec, ladderModelId, ladderSelectionProblem, modelsByScale, type LadderManifest } from '../catalog/ladder.ts';
import { chooseLadderDtypes, dtypeRunsOn, F16_DTYPES, ladderDtypeWarning, type DtypeOffer } from '../hub/dtypes.ts';
import { SpecError } from '../spec/errors.ts';
import { parseSpec } from '../spec/parse.ts';
import { DTYPES, type Dtype, type ExperimentSpec, type ModelRef } from '../spec/schema.ts';
import { metricIdsOf } from '../metrics/registry.ts';
import { TaskError } from '../tasks/errors.ts';
import type { ParsedTaskFile } from '../tasks/imported/data.ts';
import { generateItems, taskRequestTypes } from '../tasks/registry.ts';
import type { TaskKindId, TaskSpec } from '../tasks/schema.ts';

export type Backend = 'webgpu' | 'wasm';
export type ModelSource = 'bundled' | 'hub';
/** "auto": the best dtype each adapter runs (chooseDtype), one for the whole ladder where possible. */
export type DtypeChoice = 'auto' | Dtype;
/** The hub ladder choice meaning "only the custom repositories". */
export const CUSTOM_LADDER = 'custom';

/** A repository the visitor added and probed (config.json and the ONNX files at a commit). */
export interface CustomHubModel {
  repoId: string;
  /** Commit the probe saw (shown; the run plans and pins again). Null: not probed (from a spec). */
  sha: string | null;
  modelType: string | null;
  params: number | null;
  paramsEstimated: boolean;
  /** Dtypes present with their sizes; null when not probed. */
  dtypes: { dtype: Dtype; totalBytes: number | null }[] | null;
}

/** What checking a catalog model on the host found (its dtypes, or why it cannot be used). */
export type HostCheck = { ok: true; model: CustomHubModel } | { ok: false; message: string };

/** The engine's default memory budget per forward (DEFAULT_LOGITS_BUDGET_BYTES), and what the form accepts. */
export const DEFAULT_MEMORY_BUDGET_MB = 128;
export const MIN_MEMORY_BUDGET_MB = 16;
export const MAX_MEMORY_BUDGET_MB = 4096;

/** A task file the visitor opened (parsed, hashed) and the name it had on disk. */
export interface FormTaskFile extends ParsedTaskFile {
  fileName: string;
}

export interface ExperimentForm {
  /** Selected model ids ("arith/arith-l1-d12"); the spec lists them by scale whatever the order here. */
  models: string[];
  /** Task kind from the registry (arithmetic, add-choice, imported). */
  taskKind: TaskKindId;
  operation: string;
  /** Choices per item (add-choice). */
  choices: number | null | undefined;
  /** The opened task file (imported), or null. */
  taskFile: FormTaskFile | null;
  /**
   * Engine memory budget per forward pass in MiB (logits and key/value cache). Not part of the
   * spec: results do not depend on it (batched = unbatched), only speed and peak memory do.
   */
  memoryBudgetMb: number | null | undefined;
  digits: number[];
  /** Number inputs give null (or undefined) when empty; the validator says so. */
  perVariant: number | null | undefined;
  seed: number | null | undefined;
  kShot: number | null | undefined;
  template: string;
  backend: Backend;
  source: ModelSource;
  /** Catalog ladder id, or CUSTOM_LADDER. */
  hubLadder: string;
  /** Selected Hub repositories (catalog ladder and custom); the spec orders them by parameters. */
  hubModels: string[];
  custom: CustomHubModel[];
  dtype: DtypeChoice;
  /** Commits a spec pinned (repoId -> sha); the run asks for these instead of "main". */
  revisions: Record<string, string>;
  /** Catalog models checked on the host ("Check on host"): auto then uses the dtypes really there. */
  checked: Record<string, HostCheck>;
}

/** What the form needs to know about the device (Lab passes the capability probe's answer). */
export interface FormEnvironment {
  webgpu: boolean;
  shaderF16: boolean;
}

export type FormField = 'models' | 'taskKind' | 'choices' | 'taskFile' | 'memoryBudgetMb' | 'operation' | 'digits' | 'perVariant' | 'seed' | 'kShot' | 'template' | 'backend' | 'dtype' | 'form';
export type FormErrors = Partial<Record<FormField, string>>;

export interface FormCheck {
  spec: ExperimentSpec | null;
  errors: FormErrors;
  /** Items per model when valid. */
  itemCount: number;
  /** Not errors: e.g. the ladder mixes dtypes (quantization confounds scale). */
  warnings: string[];
  /** Hub models as the spec would list them (by scale), with the dtype each would use (null: none runs here). */
  hubPlan: HubFormModel[];
}

export interface HubFormModel {
  repoId: string;
  label: string;
  params: number | null;
  dtype: Dtype | null;
  /** Approximate (catalog) or probed download size of that dtype, in bytes. */
  bytes: number | null;
  bytesApprox: boolean;
  custom: boolean;
}

/**
 * A form for a spec. An imported task's examples are not in the spec: pass them (a run's
 * task_data, checked against the spec's hash) or the form asks for the file again.
 */
export function formFromSpec(spec: ExperimentSpec, catalog: HubCatalog = HUB_CATALOG, taskFile: FormTaskFile | null = null): ExperimentForm {
  const task = spec.task;
  const hub = spec.models.filter((m) => m.source === 'hub');
  const firstLadder = catalog.ladders[0];
  const ladderOf = hub.map((m) => findHubModel(m.id, catalog)?.ladder.id ?? null).find((id) => id !== null) ?? null;
  const dtypes = [...new Set(hub.map((m) => m.dtype))];
  return {
    models: spec.models.filter((m) => m.source === 'bundled').map((m) => m.id),
    taskKind: task.kind,
    memoryBudgetMb: DEFAULT_MEMORY_BUDGET_MB,
    operation: task.kind === 'arithmetic' ? task.operation : 'add',
    choices: task.kind === 'add-choice' ? task.choices : 4,
    taskFile: task.kind === 'imported' && taskFile && taskFile.hash === task.hash ? taskFile : null,
    digits: task.kind === 'imported' ? [1, 2, 3, 4, 5] : [...task.digits],
    perVariant: task.perVariant,
    seed: task.seed,
    kShot: task.kShot,
    template: task.kind === 'imported' ? 'arith-plain' : task.template,
    backend: spec.models[0]?.device === 'webgpu' ? 'webgpu' : 'wasm',
    source: hub.length > 0 ? 'hub' : 'bundled',
    hubLadder: hub.length > 0 ? (ladderOf ?? CUSTOM_LADDER) : firstLadder.id,
    hubModels: hub.length > 0 ? hub.map((m) => m.id) : firstLadder.models.map((m) => m.repoId),
    custom: hub
      .filter((m) => !findHubModel(m.id, catalog))
      .map((m) => ({ repoId: m.id, sha: null, modelType: null, params: null, paramsEstimated: false, dtypes: null })),
    dtype: dtypes.length === 1 ? dtypes[0] : 'auto',
    revisions: Object.fromEntries(hub.filter((m) => m.revision).map((m) => [m.id, m.revision!])),
    checked: {},
  };
}

// ---- Form transitions the UI calls (pure: each returns a new form) ----

/** Switch between the bundled ladder and Hub models; the template follows (a+b= is the bundled ladder's). */
export function withSource(form: ExperimentForm, source: ModelSource, catalog: HubCatalog = HUB_CATALOG): ExperimentForm {
  if (source === form.source) return form;
  if (source === 'bundled') return { ...form, source, template: 'arith-plain' };
  const ladder = hubLadder(form.hubLadder, catalog);
  return { ...form, source, template: form.template === 'arith-plain' ? (ladder?.template ?? 'math-expr') : form.template };
}

/** Choose a catalog ladder (all its models selected, its template) or only the custom models. */
export function withHubLadder(form: ExperimentForm, ladderId: string, catalog: HubCatalog = HUB_CATALOG): ExperimentForm {
  const ladder = hubLadder(ladderId, catalog);
  const custom = form.custom.map((c) => c.repoId).filter((id) => form.hubModels.includes(id));
  return {
    ...form,
    hubLadder: ladder ? ladder.id : CUSTOM_LADDER,
    hubModels: [...(ladder ? ladder.models.map((m) => m.repoId) : []), ...custom],
    template: ladder ? ladder.template : form.template,
  };
}

/** Add (or replace) a probed custom repository, selected. */
export function withCustomModel(form: ExperimentForm, model: CustomHubModel): ExperimentForm {
  return {
    ...form,
    custom: [...form.custom.filter((c) => c.repoId !== model.repoId), model],
    hubModels: form.hubModels.includes(model.repoId) ? form.hubModels : [...form.hubModels, model.repoId],
  };
}

export function withoutCustomModel(form: ExperimentForm, repoId: string): ExperimentForm {
  const { [repoId]: _, ...revisions } = form.revisions;
  return { ...form, custom: form.custom.filter((c) => c.repoId !== repoId), hubModels: form.hubModels.filter((id) => id !== repoId), revisions };
}

/** Record what checking catalog models on the host found. */
export function withHostChecks(form: ExperimentForm, checks: Record<string, HostCheck>): ExperimentForm {
  return { ...form, checked: { ...form.checked, ...checks } };
}

/** Forget pinned commits: the next run resolves "main" again. */
export function withLatestRevisions(form: ExperimentForm): ExperimentForm {
  return { ...form, revisions: {} };
}

/** Why an explicit dtype cannot run here, or null. */
export function dtypeProblem(dtype: DtypeChoice, env: FormEnvironment, backend: Backend): string | null {
  if (dtype === 'auto' || dtypeRunsOn(dtype, { device: backend, shaderF16: env.shaderF16 })) return null;
  return `${dtype} weights need the WebGPU feature shader-f16, which this adapter lacks. Choose auto, q4, q8 or fp32, or the WASM backend.`;
}

/** Dtypes offered in the form: f16 ones are listed but refused (with a reason) where they cannot run. */
export const FORM_DTYPES: readonly Dtype[] = DTYPES.filter((d) => !['int8', 'uint8', 'bnb4'].includes(d));
export { F16_DTYPES };

const FIELD_OF_PATH: [RegExp, FormField][] = [
  [/^task\.choices\b/, 'choices'],
  [/^task\.(name|hash|format)\b/, 'taskFile'],
  [/^task\.kind\b/, 'taskKind'],
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
  if (/task file/i.test(m)) return 'taskFile';
  if (/choices per item/i.test(m)) return 'choices';
  if (/items per variant|distinct/i.test(m)) return 'perVariant';
  if (/digit count|digit/i.test(m)) return 'digits';
  if (/template/i.test(m)) return 'template';
  if (/operation/i.test(m)) return 'operation';
  return 'form';
}

const orNull = (v: number | null | undefined): number | null => (v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? null : v);

interface HubModels {
  refs: ModelRef[];
  models: HubFormModel[];
  errors: FormErrors;
  warnings: string[];
}

/** The form's Hub models by scale, each with the dtype it would use here. */
export function hubFormModels(form: ExperimentForm, env: FormEnvironment, catalog: HubCatalog = HUB_CATALOG): HubModels {
  const errors: FormErrors = {};
  const warnings: string[] = [];
  const selected = new Set(form.hubModels);
  const ladder = hubLadder(form.hubLadder, catalog);
  /** `probed`: what the host said (a custom model's probe, or a catalog model's check). */
  type Entry = { repoId: string; label: string; params: number | null; offers: DtypeOffer[] | null; approx: Partial<Record<Dtype, number>>; probed: CustomHubModel | null; custom: boolean };
  const entries: Entry[] = [];
  const offersOf = (c: CustomHubModel): DtypeOffer[] | null => (c.dtypes ? c.dtypes.map((d) => ({ dtype: d.dtype, totalBytes: d.totalBytes ?? undefined })) : null);
  for (const m of ladder?.models ?? []) {
    if (!selected.has(m.repoId)) continue;
    const check = form.checked[m.repoId];
    if (check && !check.ok) warnings.push(`${check.message} It will fail on its rung; the other models still run.`);
    const live = check?.ok ? check.model : null;
    entries.push({ repoId: m.repoId, label: m.label, params: m.params, offers: (live && offersOf(live)) ?? m.dtypes, approx: m.approxMB, probed: live, custom: false });
  }
  for (const c of form.custom) {
    if (!selected.has(c.repoId) || entries.some((e) => e.repoId === c.repoId)) continue;
    const known = findHubModel(c.repoId, catalog)?.model;
    entries.push({
      repoId: c.repoId,
      label: known?.label ?? c.repoId,
      params: c.params ?? known?.params ?? null,
      offers: offersOf(c) ?? known?.dtypes ?? null,
      approx: known?.approxMB ?? {},
      probed: c,
      custom: true,
    });
  }
  // Smallest first; unknown sizes last (the runner orders charts by parameters anyway).
  entries.sort((a, b) => (a.params ?? Infinity) - (b.params ?? Infinity) || a.repoId.localeCompare(b.repoId));
  const caps = { device: form.backend, shaderF16: env.shaderF16 } as const;
  const problem = dtypeProblem(form.dtype, env, form.backend);
  if (problem) errors.dtype = problem;
  let dtypes: (Dtype | null)[];
  if (form.dtype === 'auto') {
    const unprobed = entries.filter((e) => e.offers === null).map((e) => e.repoId);
    if (unprobed.length > 0) errors.dtype = `Auto needs to know which dtypes ${unprobed.join(', ')} ${unprobed.length > 1 ? 'have' : 'has'}: probe ${unprobed.length > 1 ? 'them' : 'it'} again, or choose a dtype.`;
    dtypes = chooseLadderDtypes(entries.map((e) => e.offers ?? []), caps);
    const none = entries.filter((_, i) => dtypes[i] === null && entries[i].offers !== null).map((e) => e.repoId);
    if (none.length > 0) errors.dtype ??= `No dtype of ${none.join(', ')} runs on ${form.backend === 'webgpu' ? 'this WebGPU adapter' : 'WASM'}; remove ${none.length > 1 ? 'them' : 'it'} or choose another backend.`;
  } else {
    const explicit = form.dtype;
    dtypes = entries.map(() => explicit);
    const missing = entries.filter((e) => e.probed?.dtypes && !e.probed.dtypes.some((d) => d.dtype === explicit));
    if (missing.length > 0) {
      errors.dtype ??= missing
        .map((e) => `${e.repoId} has no ${explicit} weights (it has ${e.probed!.dtypes!.map((d) => d.dtype).join(', ')}).`)
        .join(' ');
    }
  }
  const models: HubFormModel[] = entries.map((e, i) => {
    const dtype = dtypes[i];
    const probed = dtype && e.probed?.dtypes?.find((d) => d.dtype === dtype)?.totalBytes;
    const approx = dtype ? e.approx[dtype] : undefined;
    return {
      repoId: e.repoId,
      label: e.label,
      params: e.params,
      dtype,
      bytes: probed ?? (approx !== undefined ? approx * 1e6 : null),
      bytesApprox: !probed,
      custom: e.custom,
    };
  });
  const mixed = ladderDtypeWarning(models.filter((m) => m.dtype).map((m) => ({ id: m.repoId, dtype: m.dtype! })));
  if (mixed) warnings.push(mixed);
  const refs: ModelRef[] = models.map((m) => ({ id: m.repoId, source: 'hub', revision: form.revisions[m.repoId] ?? null, dtype: m.dtype ?? 'fp32', device: form.backend }));
  return { refs, models, errors, warnings };
}

function environmentOf(env: boolean | FormEnvironment): FormEnvironment {
  return typeof env === 'boolean' ? { webgpu: env, shaderF16: false } : env;
}

/**
 * Validate the form; a spec comes back only when every check passed. `env` is the device
 * (a boolean: WebGPU available, without shader-f16).
 */
export function checkForm(form: ExperimentForm, ladder: LadderManifest, env: boolean | FormEnvironment, catalog: HubCatalog = HUB_CATALOG): FormCheck {
  const environment = environmentOf(env);
  const errors: FormErrors = {};
  if (form.backend === 'webgpu' && !environment.webgpu) errors.backend = 'This browser has no usable WebGPU; choose WASM.';
  const base = defaultSpec(ladder, form.backend);
  const chosen = new Set(form.models);
  const hub = form.source === 'hub' ? hubFormModels(form, environment, catalog) : null;
  if (hub) Object.assign(errors, hub.errors);
  const mixedRuns = hub ? null : ladderSelectionProblem(ladder, form.models);
  if (mixedRuns) errors.models = mixedRuns;
  if (form.taskKind === 'imported' && !form.taskFile) errors.taskFile = 'Open a task file (BIG-bench JSON or JSONL) first.';
  const budget = orNull(form.memoryBudgetMb);
  if (budget === null || !Number.isInteger(budget) || budget < MIN_MEMORY_BUDGET_MB || budget > MAX_MEMORY_BUDGET_MB) {
    errors.memoryBudgetMb = `Memory budget must be a whole number of MiB from ${MIN_MEMORY_BUDGET_MB} to ${MAX_MEMORY_BUDGET_MB}.`;
  }
  const candidate = {
    ...base,
    task: taskFromForm(form),
    metrics: metricsForTask(form),
    models: hub
      ? hub.refs
      : modelsByScale(ladder)
          .filter((m) => chosen.has(ladderModelId(ladder, m)))
          .map((m) => ({ id: ladderModelId(ladder, m), source: 'bundled' as const, revision: null, dtype: 'fp32' as const, device: form.backend })),
  };
  const warnings = hub?.warnings ?? [];
  const hubPlan = hub?.models ?? [];
  let spec: ExperimentSpec;
  try {
    spec = parseSpec(candidate);
  } catch (err) {
    if (err instanceof SpecError) return { spec: null, errors: { ...specErrorsByField(err), ...errors }, itemCount: 0, warnings, hubPlan };
    throw err;
  }
  let itemCount = 0;
  try {
    itemCount = generateItems(spec.task, { taskData: form.taskFile?.data ?? null }).length;
  } catch (err) {
    if (err instanceof TaskError) return { spec: null, errors: { [taskErrorField(err)]: err.message, ...errors }, itemCount: 0, warnings, hubPlan };
    throw err;
  }
  if (Object.keys(errors).length > 0) return { spec: null, errors, itemCount, warnings, hubPlan };
  return { spec, errors, itemCount, warnings, hubPlan };
}

/** The spec's task from the form's fields for its kind (validated by parseSpec afterwards). */
function taskFromForm(form: ExperimentForm): Record<string, unknown> {
  const common = { perVariant: orNull(form.perVariant), seed: orNull(form.seed), kShot: orNull(form.kShot) };
  const digits = [...form.digits].sort((a, b) => a - b);
  switch (form.taskKind) {
    case 'add-choice':
      return { kind: 'add-choice', digits, ...common, choices: orNull(form.choices), template: form.template };
    case 'imported': {
      const f = form.taskFile;
      return { kind: 'imported', name: f?.data.name ?? '', format: f?.data.format ?? 'bigbench', hash: f?.hash ?? '', ...common };
    }
    default:
      return { kind: 'arithmetic', operation: form.operation, digits, ...common, template: form.template };
  }
}

/** Every metric of the request types the task uses (generation, choice or both). */
function metricsForTask(form: ExperimentForm): string[] {
  const families = form.taskKind === 'arithmetic' ? (['generation'] as const) : form.taskKind === 'add-choice' ? (['choice'] as const) : null;
  if (families) return families.flatMap((f) => [...metricIdsOf(f)]);
  if (!form.taskFile) return [...metricIdsOf('generation')];
  try {
    const task = taskFromForm(form) as TaskSpec;
    return taskRequestTypes(task, { taskData: form.taskFile.data }).flatMap((f) => [...metricIdsOf(f)]);
  } catch {
    return [...metricIdsOf('generation'), ...metricIdsOf('choice')];
  }
}

/** Switch task kind; the template follows (add-choice keeps the arithmetic template). */
export function withTaskKind(form: ExperimentForm, taskKind: TaskKindId): ExperimentForm {
  return { ...form, taskKind };
}

/** Use an opened task file (the kind switches to imported). */
export function withTaskFile(form: ExperimentForm, taskFile: FormTaskFile): ExperimentForm {
  return { ...form, taskKind: 'imported', taskFile };
}
