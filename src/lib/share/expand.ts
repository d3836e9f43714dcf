/**
 * expandSharedItems: compact per-item results of a link → per-item metric values, the same
 * ItemMetrics shape charts read from a RunResult. sharedItemPrecision says which values are
 * exact and how far the others can be from the sender's.
 */
import type { GenerationMetricId, ItemMetrics } from '../metrics/types.ts';
import { LOGPROB_Q_MAX, SMALL_INT_MAX } from './item-columns.ts';
import type { SharedItems, SharedModelItems, SharedRun } from './shared-run.ts';

export interface ExpandedItem {
  id: string;
  variant: string;
  metrics: ItemMetrics;
}

export interface ExpandedModelItems {
  modelId: string;
  /** Index of the model in SharedRun.models. */
  modelIndex: number;
  items: ExpandedItem[];
}

export interface MetricPrecision {
  exact: boolean;
  /** Largest possible |expanded − original| (absolute), or a relative bound when `relative`. */
  maxError: number;
  relative: boolean;
  note: string;
}

/** Which expanded metrics are exact, and the largest error of the others, for a link's log-prob steps. */
export function sharedItemPrecision(logprobSteps: number): Record<GenerationMetricId, MetricPrecision> {
  const qErr = 0.5 / logprobSteps; // half a step, in nats
  const relErr = Math.expm1(qErr);
  const floor = (LOGPROB_Q_MAX / logprobSteps).toFixed(3);
  const exact = (note: string): MetricPrecision => ({ exact: true, maxError: 0, relative: false, note });
  return {
    exact_match: exact('one bit per item'),
    greedy_consistency: exact('one bit per item'),
    token_edit_distance: exact(`exact up to ${SMALL_INT_MAX - 1}; ${SMALL_INT_MAX} means ${SMALL_INT_MAX} or more`),
    char_edit_distance: exact(`exact up to ${SMALL_INT_MAX - 1}; ${SMALL_INT_MAX} means ${SMALL_INT_MAX} or more`),
    digit_accuracy: exact('stored as the fraction correct/positions, bit-exact'),
    target_logprob: { exact: false, maxError: qErr, relative: false, note: `rounded to 1/${logprobSteps} nat; values below −${floor} nat read as −${floor}` },
    mean_token_logprob: { exact: false, maxError: qErr, relative: false, note: `target log-prob / L: error ≤ 1/(${2 * logprobSteps}·L) nat` },
    per_token_prob: { exact: false, maxError: relErr, relative: true, note: `exp(target log-prob / L): relative error ≤ e^(1/(${2 * logprobSteps}·L)) − 1` },
    predicted_exact_match: { exact: false, maxError: relErr, relative: true, note: `exp(target log-prob): relative error ≤ e^(1/${2 * logprobSteps}) − 1 ≈ ${(relErr * 100).toFixed(2)}%` },
  };
}

/** Per-item metric values of one model's compact columns (ids and variants from the item table). */
export function expandModelColumns(items: Pick<SharedItems, 'ids' | 'variants' | 'logprobSteps'>, m: SharedModelItems): ExpandedItem[] {
  return m.index.map((at, k): ExpandedItem => {
    const L = m.targetTokens[k];
    const q = m.targetLogprobQ[k];
    // −0 would print as "-0" in tables; a log-prob of exactly 0 is +0.
    const tlp = q === 0 ? 0 : -q / items.logprobSteps;
    const den = m.digitAccuracyDen[k];
    return {
      id: items.ids[at],
      variant: items.variants[at],
      metrics: {
        exact_match: m.exactMatch[k],
        token_edit_distance: m.tokenEditDistance[k],
        char_edit_distance: m.charEditDistance[k],
        digit_accuracy: den === 0 ? null : m.digitAccuracyNum[k] / den,
        target_logprob: tlp,
        mean_token_logprob: tlp / L,
        per_token_prob: Math.exp(tlp / L),
        greedy_consistency: m.greedyConsistency[k],
        predicted_exact_match: Math.exp(tlp),
      },
    };
  });
}

/** Per-item metric values of every model that has items in the link (none when the link has no items). */
export function expandSharedItems(shared: SharedRun): ExpandedModelItems[] {
  const items = shared.items;
  if (!items) return [];
  const out: ExpandedModelItems[] = [];
  items.models.forEach((m, modelIndex) => {
    if (!m) return;
    out.push({ modelId: shared.models[modelIndex].id, modelIndex, items: expandModelColumns(items, m) });
  });
  return out;
}
