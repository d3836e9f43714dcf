/** What a share link carries: a RunResult without raw per-item outputs, items in compact form. */
import type { IntervalStyle, ModelRun, RunEnvironment, RunResult, VariantEmergenceMeasures } from '../results/types.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';

/** A model of a shared run: ModelRun without timings and raw items. */
export type SharedModel = Omit<ModelRun, 'loadMs' | 'scoreMs' | 'items'>;

/**
 * Per-item results of one model, one array entry per item the model has, in `index` order.
 * Layout and precision: docs/share-format.md ("Items section").
 */
export interface SharedModelItems {
  /** Positions in SharedItems.ids, ascending. */
  index: number[];
  exactMatch: (0 | 1)[];
  greedyConsistency: (0 | 1)[];
  /** Exact up to 254; 255 means "255 or more". */
  tokenEditDistance: number[];
  /** Exact up to 254; 255 means "255 or more". */
  charEditDistance: number[];
  /** digit_accuracy = num / den exactly; den 0 means "does not apply" (null). */
  digitAccuracyNum: number[];
  digitAccuracyDen: number[];
  /** Number of target tokens L (1..255). */
  targetTokens: number[];
  /** round(−target_logprob × SharedItems.logprobSteps); 65535 means "that much or less". */
  targetLogprobQ: number[];
}

export interface SharedItems {
  /** Every item id of the run (union over models, first-seen order) and its variant. */
  ids: string[];
  variants: string[];
  /** Target log-probs are in steps of 1/logprobSteps nat (256, 64 or 16). */
  logprobSteps: 256 | 64 | 16;
  /** Same order as SharedRun.models; null for a model without items. */
  models: (SharedModelItems | null)[];
}

export interface SharedRun {
  spec: ExperimentSpec;
  env: RunEnvironment;
  models: SharedModel[];
  emergence: RunResult['emergence'];
  /**
   * 'exact': every aggregate number and emergence score is the sender's double, bit for bit.
   * 'float32': n and fractions k/n (exact match rates, mean edit distances) are still exact;
   * other means and emergence scores are rounded to the nearest float32 and interval ends
   * outward (relative error < 1.2e-7, invisible in any chart). Used only when it lets per-item
   * results fit the link.
   */
  precision: 'exact' | 'float32';
  /** How the aggregates' intervals were computed: r1/r2 links always carry the legacy method. */
  intervals: IntervalStyle;
  /** Emergence measures of r3 links (stored, or recomputed from the link's items); absent in r1/r2 links. */
  emergenceMeasures?: Record<string, VariantEmergenceMeasures>;
  items?: SharedItems;
  /** The examples of an imported task when they fit the link (hash checked); otherwise the task file is needed. */
  taskData?: ImportedTaskData;
}
