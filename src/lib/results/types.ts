/**
 * The run results format (also the lab's JSON export). Field names follow the issue that
 * defined it (snake_case per item); `target_is_argmax` and `generated` keep every generation
 * metric a pure function of stored outputs, and choice items keep lm-eval's `resps` (summed
 * log-likelihood and is-greedy per choice) so every multiple-choice metric is too.
 */
import type { MeanCI } from '../metrics/aggregate.ts';
import type { MetricEmergence, MirageRatio } from '../metrics/emergenceIntervals.ts';
import type { ChoiceMetrics, ItemMetrics } from '../metrics/types.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import type { ItemMeta } from '../tasks/types.ts';

export const RUN_FORMAT = 'emergence-lab/run';
export const RUN_VERSION = 1;

export interface RunEnvironment {
  app: string;
  /** navigator.userAgent in a browser, "node <version>" in Node. */
  runtime: string;
  backend: 'webgpu' | 'wasm' | 'cpu';
  adapter: { vendor: string | null; architecture: string | null; shaderF16: boolean } | null;
  transformersVersion: string;
  startedAt: string;
  finishedAt: string | null;
}

interface ItemRecordBase {
  id: string;
  variant: string;
  prompt: string;
  /** What the item shows: for choice items the correct choice's text. */
  target: string;
  meta: ItemMeta;
}

/** A generation item (files from before multiple choice have no `kind`: they are all generation). */
export interface GenerationItemRecord extends ItemRecordBase {
  kind?: 'generation';
  /** Other accepted answers (exact match counts any of them). */
  alternatives?: string[];
  target_token_ids: number[];
  target_logprobs: number[];
  target_is_argmax: boolean[];
  output_text: string;
  output_token_ids: number[];
  generated: boolean;
  metrics: ItemMetrics;
}

/** A multiple-choice item: one log-likelihood per choice (lm-eval `loglikelihood` requests). */
export interface ChoiceItemRecord extends ItemRecordBase {
  kind: 'choice';
  choices: string[];
  /** Prepended to each choice in the scored continuation (lm-eval target_delimiter). */
  target_delimiter: string;
  answer_index: number;
  /** BIG-bench target_scores in choice order, or null (one right answer). */
  target_scores: number[] | null;
  /** Summed log-likelihood of each continuation (lm-eval resps[i][0]). */
  choice_logprobs: number[];
  /** Tokens of each continuation. */
  choice_token_counts: number[];
  /** Every token of the continuation is the argmax (lm-eval resps[i][1]). */
  choice_is_greedy: boolean[];
  metrics: ChoiceMetrics;
}

export type ItemRecord = GenerationItemRecord | ChoiceItemRecord;

export function isChoiceRecord(item: ItemRecord): item is ChoiceItemRecord {
  return item.kind === 'choice';
}

export interface VariantAggregate {
  variant: string;
  n: number;
  metrics: Record<string, MeanCI>;
}

/**
 * Emergence measures of one variant along the ladder (docs/metrics.md, "Emergence measures"):
 * breakthroughness and jump share of every aggregated metric with bootstrap intervals, and the
 * mirage ratio of each continuous metric against the family's discontinuous reference (exact
 * match for generated answers, MC grade for multiple choice). Every measure is a number with its
 * interval, a number whose interval is undefined (with the reason), or undefined (with the reason).
 */
export interface VariantEmergenceMeasures {
  /** Models in ladder order (finished models with a known size, smallest first). */
  models: string[];
  /** The metric the mirage ratios divide by the continuous ones: exact_match or mc_grade. */
  reference: string;
  metrics: Record<string, MetricEmergence>;
  mirage: Record<string, MirageRatio>;
}

export type IntervalStyle = 'standard' | 'legacy-percentile';

/** The interval method of a run's aggregates (files from before the field used the legacy one). */
export function intervalStyleOf(run: Pick<RunResult, 'intervals'>): IntervalStyle {
  return run.intervals ?? 'legacy-percentile';
}

/** What a legend or table header says about the intervals. */
export function intervalLegend(style: IntervalStyle): string {
  return style === 'standard' ? '95% Wilson (binary) / BCa bootstrap (continuous) interval' : '95% percentile bootstrap interval (legacy method of this run)';
}

export type ModelStatus = 'done' | 'error' | 'cancelled';

/**
 * Where a bundled model sits on its ladder (catalog/ladder.ts): its value on the ladder's axis
 * (parameters, or training compute 6·N·D in FLOPs for checkpoints) and the training run it comes
 * from (checkpoints of one run share it; on a size ladder each model is its own run). Runs and
 * files from before the field have none: they are ordered by parameters.
 */
export interface ModelScale {
  axis: 'params' | 'compute';
  value: number;
  run: string;
}

export interface ModelRun {
  id: string;
  params: number | null;
  dtype: string;
  device: string;
  status: ModelStatus;
  error: string | null;
  loadMs: number;
  scoreMs: number;
  items: ItemRecord[];
  aggregates: { variants: VariantAggregate[] };
  scale?: ModelScale;
}

export interface RunResult {
  format: typeof RUN_FORMAT;
  version: typeof RUN_VERSION;
  spec: ExperimentSpec;
  env: RunEnvironment;
  models: ModelRun[];
  /** Emergence score (Srivastava et al. 2022) per variant per metric across finished models by scale. */
  emergence: Record<string, Record<string, number>>;
  /**
   * Emergence measures per variant, computed from the items (absent in files written before
   * they existed; the lab recomputes them from the items when it has them).
   */
  emergence_measures?: Record<string, VariantEmergenceMeasures>;
  /**
   * How the aggregates' intervals were computed: 'standard' (Wilson / BCa ∪ t, seeded per model)
   * or 'legacy-percentile' (the first method). Files written before the field are legacy.
   */
  intervals?: IntervalStyle;
  /** The examples of an imported task (spec.task.kind "imported"): the JSON export embeds the task file. */
  task_data?: ImportedTaskData;
}

/** Index of the choice the model prefers (highest log-likelihood, first on ties: lm-eval's argmax). */
export function pickedChoice(item: ChoiceItemRecord): number {
  let best = 0;
  for (let k = 1; k < item.choice_logprobs.length; k++) if (item.choice_logprobs[k] > item.choice_logprobs[best]) best = k;
  return best;
}

/** Whether the model got the item right: exact match for generation, MC grade for choice. */
export function itemCorrect(item: ItemRecord): number | null {
  return item.kind === 'choice' ? item.metrics.mc_grade : item.metrics.exact_match;
}

/** What the model answered: its greedy output, or the text of the choice it prefers. */
export function itemOutput(item: ItemRecord): string {
  return item.kind === 'choice' ? (item.choices[pickedChoice(item)] ?? '') : item.output_text;
}

// ─── lm-evaluation-harness imports and merged ladders (issue 17, src/lib/interop) ───────────────
// Additive and optional: runs made in the lab never carry these fields. Interface merging keeps
// the additions in this block.

/**
 * Generation metrics that need the target's token ids or per-token log-probs. An lm-eval
 * `generate_until` log holds text only, so items imported from it store empty token arrays,
 * null for these metrics and `token_ids_unavailable` with the reason.
 */
export const TOKEN_LEVEL_METRIC_IDS = [
  'token_edit_distance',
  'target_logprob',
  'mean_token_logprob',
  'per_token_prob',
  'greedy_consistency',
  'predicted_exact_match',
] as const;

export interface GenerationItemRecord {
  /** Why the token arrays are empty and the token-level metrics null (an imported lm-eval log). */
  token_ids_unavailable?: string;
}

export interface ChoiceItemRecord {
  /** Why choice_token_counts is empty (lm-eval logs do not give token counts). */
  token_ids_unavailable?: string;
}

/** lm-eval's own aggregate next to the lab's recomputation from the same samples. */
export interface LmEvalComparison {
  task: string;
  variant: string;
  /** lm-eval key, e.g. "acc,none". */
  lmEvalMetric: string;
  labMetric: string;
  lmEval: number;
  lab: number;
  /** |lmEval − lab| ≤ 1e-9 (both are means of the same 0/1 values when the definitions agree). */
  agrees: boolean;
}

export interface LmEvalProvenance {
  version: string | null;
  gitHash: string | null;
  modelArgs: string | null;
  batchSize: string | null;
  /** ISO time of the lm-eval run (its results file's `date`). */
  date: string | null;
  transformersVersion: string | null;
  /** lm-eval's task_hashes (task name → hash), as logged. */
  taskHashes: Record<string, string>;
  /** Which results_*.json and samples files the model came from. */
  files: string[];
  comparisons: LmEvalComparison[];
}

/** Where a rung of the ladder was measured (merged runs keep one per model). */
export interface ModelProvenance {
  source: 'lab' | 'lm-eval';
  /** Short label shown with the rung, e.g. "lab · webgpu · Chrome" or "lm-eval 0.4.9 · batch 16". */
  label: string;
  /** The environment of the run the model came from. */
  env?: RunEnvironment;
  lmEval?: LmEvalProvenance;
  /** Metric id → why it could not be computed for this model. */
  unavailableMetrics?: Record<string, string>;
}

export interface ModelRun {
  provenance?: ModelProvenance;
}
// ─── end of lm-eval interop block ───────────────────────────────────────────────────────────────
