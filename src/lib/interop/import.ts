/**
 * Import lm-evaluation-harness logs (per model: results_*.json + samples_<task>_*.jsonl) as a
 * RunResult. Items are matched to the lab's spec by the doc's lab id, then by doc_hash, and
 * must be byte-identical (doc_hash, prompt, continuations); every lab metric is recomputed from
 * the samples with the registry's functions; lm-eval's own aggregates are compared with the
 * lab's, and a mismatch is reported, not hidden. Everything is checked before anything is
 * returned: a bad file yields an InteropError naming it (and the line), never a partial run.
 */
import * as v from 'valibot';
import { METRICS, type CheckedGeneration, type MetricId } from '../metrics/registry.ts';
import type { ItemMetrics } from '../metrics/types.ts';
import { computeEmergence, computeEmergenceMeasures } from '../results/emergence.ts';
import { aggregateModelItems, toChoiceRecord } from '../results/records.ts';
import { describeIssues, RunResultSchema } from '../results/schema.ts';
import {
  RUN_FORMAT,
  RUN_VERSION,
  TOKEN_LEVEL_METRIC_IDS,
  type ChoiceItemRecord,
  type GenerationItemRecord,
  type ItemRecord,
  type LmEvalComparison,
  type ModelRun,
  type RunEnvironment,
  type RunResult,
} from '../results/types.ts';
import { parseSpec } from '../spec/parse.ts';
import type { ExperimentSpec, ModelRef } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import { continuationOf, type ChoiceItem, type GenerationItem, type TaskItem } from '../tasks/types.ts';
import { InteropError } from './errors.ts';
import { SPEC_FILE } from './export.ts';
import { docHash } from './hash.ts';
import {
  baseName,
  dirName,
  isResultsFile,
  parseGreedy,
  parseLogprob,
  parseResultsFile,
  parseSamplesFile,
  resultsFileDate,
  samplesFileInfo,
  type LmEvalFile,
  type LmEvalResults,
  type LmEvalSample,
} from './logs.ts';
import { knownParams } from './params.ts';
import { docOf, exportedVariants, TASK_PREFIX, type ExportedVariant } from './tasks.ts';

export const TOKENLESS_REASON = 'lm-eval logs texts and summed log-likelihoods, not token ids or per-token log-probs';

export interface ImportOptions {
  spec?: ExperimentSpec;
  taskData?: ImportedTaskData | null;
  /** The examples of an imported task once the spec is known (the page's open task file). */
  taskDataFor?: (spec: ExperimentSpec) => ImportedTaskData | null;
  /** Parameter counts by model id (overrides the known list). */
  params?: ReadonlyMap<string, number>;
}

export interface LmEvalImport {
  run: RunResult;
  /** lm-eval aggregates that differ from the lab's recomputation. */
  mismatches: LmEvalComparison[];
  warnings: string[];
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

function parseModelArgs(args: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (args ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The lab model id of an lm-eval run: its `pretrained=` Hub id, or "local/<folder>" for a path. */
function modelIdOf(r: LmEvalResults): string {
  const pretrained = parseModelArgs(r.modelArgs).pretrained ?? r.modelName ?? '';
  if (MODEL_ID.test(pretrained)) return pretrained;
  const tail = pretrained.split(/[\\/]/).filter(Boolean).slice(-1)[0]?.replace(/[^A-Za-z0-9._-]/g, '-') ?? '';
  if (!tail) throw new InteropError('no model name (config.model_args has no pretrained=…); cannot tell which model this is.', r.file);
  return `local/${tail.replace(/^[^A-Za-z0-9]+/, '') || 'model'}`.slice(0, 190);
}

/** The lab's dtype closest to lm-eval's `dtype=` (the literal stays in provenance.modelArgs). */
function dtypeOf(args: Record<string, string>): ModelRef['dtype'] {
  const d = (args.dtype ?? args.torch_dtype ?? '').toLowerCase();
  if (d === 'float16' || d === 'half' || d === 'fp16') return 'fp16';
  if (args.load_in_4bit === 'True') return 'q4';
  if (args.load_in_8bit === 'True') return 'q8';
  return 'fp32';
}

function specFrom(files: LmEvalFile[], results: LmEvalResults[], options: ImportOptions): { spec: ExperimentSpec; taskData: ImportedTaskData | null } {
  if (options.spec) return { spec: options.spec, taskData: options.taskData ?? null };
  const specFile = files.find((f) => baseName(f.name) === SPEC_FILE);
  if (specFile) {
    try {
      const data = JSON.parse(specFile.text) as { spec?: unknown; task_data?: ImportedTaskData };
      return { spec: parseSpec(data.spec), taskData: options.taskData ?? data.task_data ?? null };
    } catch (e) {
      throw new InteropError(`not a valid lab spec file (${e instanceof Error ? e.message : String(e)}).`, specFile.name);
    }
  }
  for (const r of results) {
    for (const config of Object.values(r.configs)) {
      const meta = config.metadata as Record<string, unknown> | undefined;
      if (meta && typeof meta.emergence_lab_spec === 'string') {
        try {
          return { spec: parseSpec(JSON.parse(meta.emergence_lab_spec)), taskData: options.taskData ?? null };
        } catch (e) {
          throw new InteropError(`the lab spec in configs.metadata is not valid (${e instanceof Error ? e.message : String(e)}).`, r.file);
        }
      }
    }
  }
  throw new InteropError(
    `No lab experiment found: the results files carry no emergence_lab_spec and ${SPEC_FILE} is not among the files. Add ${SPEC_FILE} from the exported task folder.`,
  );
}

/** Items of one model's samples file, in the variant's item order. */
function readVariant(v: ExportedVariant, samples: LmEvalSample[], file: string): ItemRecord[] {
  const byId = new Map(v.items.map((i) => [i.id, i]));
  const expectedHash = new Map(v.items.map((i) => [i.id, docHash(docOf(i, v.listTargets))]));
  const byHash = new Map([...expectedHash].map(([id, h]) => [h, byId.get(id)!]));
  const seen = new Map<string, ItemRecord>();
  for (const s of samples) {
    if (s.filter !== 'none') continue;
    const fail = (m: string): never => {
      throw new InteropError(m, file, s.line);
    };
    const docId = typeof s.doc.id === 'string' ? s.doc.id : null;
    const item: TaskItem | undefined = docId !== null ? byId.get(docId) : s.docHash !== null ? byHash.get(s.docHash) : undefined;
    if (!item) {
      fail(docId !== null ? `doc id "${docId}" is not an item of the lab's variant "${v.variant}" (a different experiment, or a foreign task?).` : `the doc matches no item of variant "${v.variant}" (no lab id, unknown doc_hash).`);
      return [];
    }
    if (seen.has(item.id)) fail(`item "${item.id}" appears twice.`);
    const want = expectedHash.get(item.id)!;
    if (s.docHash !== null && s.docHash !== want) fail(`doc_hash of item "${item.id}" is ${s.docHash.slice(0, 12)}…, the lab's doc hashes to ${want.slice(0, 12)}…: the task's JSONL was edited or belongs to another seed.`);
    if (s.args.length === 0 || s.args[0][0] !== item.prompt) fail(`the prompt of item "${item.id}" is not byte-identical to the lab's (a chat template, system prompt or few-shot setting changed it).`);
    seen.set(item.id, item.kind === 'choice' ? choiceRecord(item, s, file) : generationRecord(item, s, file));
  }
  const missing = v.items.filter((i) => !seen.has(i.id));
  if (missing.length > 0) {
    throw new InteropError(`${missing.length} of ${v.items.length} items of variant "${v.variant}" have no sample (first: "${missing[0].id}"); was lm_eval run with --limit, or is the file cut off?`, file);
  }
  return v.items.map((i) => seen.get(i.id)!);
}

function choiceRecord(item: ChoiceItem, s: LmEvalSample, file: string): ChoiceItemRecord {
  const k = item.choices.length;
  if (s.args.length !== k || s.resps.length !== k) throw new InteropError(`item "${item.id}" has ${s.resps.length} responses for ${k} choices.`, file, s.line);
  const logprobs: number[] = [];
  const greedy: boolean[] = [];
  for (let c = 0; c < k; c++) {
    if (s.args[c][1] !== continuationOf(item, c)) throw new InteropError(`choice ${c} of item "${item.id}" was scored as ${JSON.stringify(s.args[c][1])}, the lab scores ${JSON.stringify(continuationOf(item, c))}.`, file, s.line);
    // resps[c] = [[log_prob, is_greedy]] (one response per loglikelihood request).
    const r = s.resps[c];
    const pair = Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r;
    if (!Array.isArray(pair) || pair.length < 2) throw new InteropError(`resps[${c}] of item "${item.id}" is not [log_prob, is_greedy].`, file, s.line);
    logprobs.push(parseLogprob(pair[0], `the log-prob of choice ${c}`, file, s.line));
    greedy.push(parseGreedy(pair[1], `is_greedy of choice ${c}`, file, s.line));
  }
  // The lab's own record of these log-likelihoods; the log has no token ids, so no token counts.
  return { ...toChoiceRecord(item, { choiceTokenIds: [], choiceLogprobs: logprobs, choiceIsGreedy: greedy }), token_ids_unavailable: TOKENLESS_REASON };
}

const TOKEN_LEVEL = new Set<string>(TOKEN_LEVEL_METRIC_IDS);

/** Generation metrics computable from texts alone (the registry's functions); token-level ones are null. */
export function textOnlyGenerationMetrics(target: string, alternatives: string[] | undefined, outputText: string): ItemMetrics {
  const checked: CheckedGeneration = { target, alternatives, outputText, targetTokenIds: [], targetLogprobs: [], targetIsArgmax: [], outputTokenIds: [], logprobs: [] };
  const out = {} as ItemMetrics;
  for (const m of METRICS) if (m.family === 'generation') out[m.id] = TOKEN_LEVEL.has(m.id) ? null : m.compute(checked);
  return out;
}

function generationRecord(item: GenerationItem, s: LmEvalSample, file: string): GenerationItemRecord {
  // filtered_resps = [text] after the "none" filter (take_first); resps = [[text]].
  const f = s.filteredResps[0];
  const r = s.resps[0];
  const output = typeof f === 'string' ? f : Array.isArray(f) && typeof f[0] === 'string' ? f[0] : Array.isArray(r) && typeof r[0] === 'string' ? r[0] : null;
  if (output === null) throw new InteropError(`item "${item.id}" has no generated text in filtered_resps or resps.`, file, s.line);
  return {
    id: item.id,
    variant: item.variant,
    prompt: item.prompt,
    target: item.target,
    ...(item.alternatives?.length ? { alternatives: item.alternatives } : {}),
    meta: item.meta,
    target_token_ids: [],
    target_logprobs: [],
    target_is_argmax: [],
    output_text: output,
    output_token_ids: [],
    generated: true,
    token_ids_unavailable: TOKENLESS_REASON,
    metrics: textOnlyGenerationMetrics(item.target, item.alternatives, output),
  };
}

/** lm-eval aggregate key → the lab metric with the same definition. */
const COMPARABLE: readonly [string, MetricId][] = [
  ['acc,none', 'mc_grade'],
  ['acc_norm,none', 'mc_grade_norm'],
  ['brier_score,none', 'brier_score'],
  ['exact_match,none', 'exact_match'],
];

function compare(r: LmEvalResults, v: ExportedVariant, items: ItemRecord[]): LmEvalComparison[] {
  const out: LmEvalComparison[] = [];
  const agg = r.results[v.task] ?? {};
  for (const [key, metric] of COMPARABLE) {
    const theirs = agg[key];
    if (typeof theirs !== 'number' || !Number.isFinite(theirs)) continue;
    const values = items.map((i) => (i.metrics as Record<string, number | null>)[metric]).filter((x): x is number => typeof x === 'number');
    if (values.length === 0) continue;
    const lab = values.reduce((a, b) => a + b, 0) / values.length;
    // Means of the same 0/1 values agree to rounding; the Brier score sums softmaxes, so allow 1e-6.
    out.push({ task: v.task, variant: v.variant, lmEvalMetric: key, labMetric: metric, lmEval: theirs, lab, agrees: Math.abs(theirs - lab) <= (metric === 'brier_score' ? 1e-6 : 1e-9) });
  }
  return out;
}

/** Read lm-eval output files into one RunResult (InteropError naming the file on any problem). */
export function importLmEvalRun(files: readonly LmEvalFile[], options: ImportOptions = {}): LmEvalImport {
  if (files.length === 0) throw new InteropError('No files: choose the results_*.json and samples_*.jsonl files lm_eval wrote (--output_path).');
  const resultsFiles = files.filter((f) => isResultsFile(f.name));
  if (resultsFiles.length === 0) throw new InteropError(`None of the ${files.length} files is a results_*.json file; lm_eval writes one per model next to its samples files.`);
  const results = resultsFiles.map(parseResultsFile);
  const found = specFrom([...files], results, options);
  const spec = found.spec;
  const taskData = found.taskData ?? options.taskDataFor?.(spec) ?? null;
  let variants: ExportedVariant[];
  try {
    variants = exportedVariants(spec, { taskData });
  } catch (e) {
    throw new InteropError(`cannot rebuild the lab's items (${e instanceof Error ? e.message : String(e)}).`);
  }
  const byTask = new Map(variants.map((v) => [v.task, v]));
  const warnings: string[] = [];
  const mismatches: LmEvalComparison[] = [];
  const models: ModelRun[] = [];
  const refs: ModelRef[] = [];
  const samplesFiles = files.filter((f) => samplesFileInfo(f.name));
  for (const r of results) {
    const foreign = Object.keys(r.results).filter((t) => !byTask.has(t));
    if (foreign.length > 0) {
      const ours = foreign.filter((t) => t.startsWith(TASK_PREFIX));
      throw new InteropError(
        ours.length > 0
          ? `task "${ours[0]}" is not part of this experiment (another export of the lab?); import each experiment's logs separately.`
          : `task "${foreign[0]}" was not exported by the lab; import only the lab's tasks (run them in their own lm_eval call).`,
        r.file,
      );
    }
    const id = modelIdOf(r);
    if (refs.some((m) => m.id === id)) throw new InteropError(`model "${id}" appears in two results files; keep one run per model.`, r.file);
    const args = parseModelArgs(r.modelArgs);
    const date = resultsFileDate(r.file);
    const dir = dirName(r.file);
    const items: ItemRecord[] = [];
    const used: string[] = [r.file];
    const comparisons: LmEvalComparison[] = [];
    for (const v of variants.filter((x) => x.task in r.results)) {
      const candidates = samplesFiles.filter((f) => dirName(f.name) === dir && samplesFileInfo(f.name)!.task === v.task);
      const file = candidates.find((f) => samplesFileInfo(f.name)!.date === date) ?? (candidates.length === 1 ? candidates[0] : undefined);
      if (!file) throw new InteropError(`no samples_${v.task}_${date ?? '<date>'}.jsonl beside it; run lm_eval with --log_samples and choose the samples files too.`, r.file);
      const samples = parseSamplesFile(file);
      const n = r.nSamples[v.task];
      if (n !== undefined && n !== v.items.length) warnings.push(`${r.file}: lm-eval scored ${n} docs of ${v.task}, the lab's variant has ${v.items.length}.`);
      const records = readVariant(v, samples, file.name);
      items.push(...records);
      used.push(file.name);
      comparisons.push(...compare(r, v, records));
    }
    if (items.length === 0) throw new InteropError('the results name none of this experiment\'s tasks.', r.file);
    const params = options.params?.get(id) ?? knownParams(id);
    if (params === null) warnings.push(`No parameter count for "${id}": give one with --params ${id}=COUNT (it is left out of the ladder's scale until then).`);
    const unavailable: Record<string, string> = {};
    if (items.some((i) => i.kind !== 'choice')) {
      for (const m of TOKEN_LEVEL_METRIC_IDS) if ((spec.metrics ?? []).includes(m)) unavailable[m] = TOKENLESS_REASON;
    }
    mismatches.push(...comparisons.filter((c) => !c.agrees));
    const revision = args.revision && /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/.test(args.revision) ? args.revision : null;
    refs.push({ id, source: 'hub', revision, dtype: dtypeOf(args), device: 'cpu' });
    models.push({
      id,
      params,
      dtype: dtypeOf(args),
      device: 'cpu',
      status: 'done',
      error: null,
      loadMs: 0,
      scoreMs: 0,
      items,
      aggregates: { variants: aggregateModelItems(items, { seed: spec.bootstrapSeed, model: id, metricIds: spec.metrics }) },
      provenance: {
        source: 'lm-eval',
        label: `lm-eval ${r.version ?? ''}${r.batchSize ? ` · batch ${r.batchSize}` : ''}`.replace(/\s+/g, ' ').trim(),
        lmEval: {
          version: r.version,
          gitHash: r.gitHash,
          modelArgs: r.modelArgs,
          batchSize: r.batchSize,
          date: r.date,
          transformersVersion: r.transformersVersion,
          taskHashes: r.taskHashes,
          files: used,
          comparisons,
        },
        ...(Object.keys(unavailable).length ? { unavailableMetrics: unavailable } : {}),
      },
    });
  }
  // Rungs in order of scale (unknown sizes last), as the lab's ladders are.
  const order = models.map((m, i) => i).sort((a, b) => (models[a].params ?? Infinity) - (models[b].params ?? Infinity) || a - b);
  const sortedModels = order.map((i) => models[i]);
  const sortedRefs = order.map((i) => refs[i]);
  models.splice(0, models.length, ...sortedModels);
  refs.splice(0, refs.length, ...sortedRefs);
  const dates = results.map((r) => r.date).filter((d): d is string => d !== null).sort();
  const first = results[0];
  const env: RunEnvironment = {
    app: spec.appVersion,
    runtime: `lm-evaluation-harness${first.version ? ` ${first.version}` : ''}`,
    // The run format knows only the lab's backends; the real device is in each model's provenance (model_args).
    backend: 'cpu',
    adapter: null,
    transformersVersion: (first.transformersVersion ?? 'unknown').slice(0, 40),
    startedAt: dates[0] ?? new Date(0).toISOString(),
    finishedAt: dates[dates.length - 1] ?? null,
  };
  const run: RunResult = {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec: { ...spec, models: refs },
    env,
    models,
    emergence: computeEmergence(models),
    emergence_measures: computeEmergenceMeasures(models, spec.bootstrapSeed),
    intervals: 'standard',
    ...(taskData && spec.task.kind === 'imported' ? { task_data: taskData } : {}),
  };
  const checked = v.safeParse(RunResultSchema, run);
  if (!checked.success) throw new InteropError(`the imported run does not validate: ${describeIssues(checked.issues).slice(0, 3).join('; ')}`);
  return { run, mismatches, warnings };
}
