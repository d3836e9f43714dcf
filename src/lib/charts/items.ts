/** The item explorer's data: which items match the filters, and how each column reads. */
import { getMetric } from '../metrics/registry.ts';
import type { GenerationMetricId } from '../metrics/types.ts';
import type { ItemRecord } from '../run/results.ts';
import { formatValue } from './format.ts';

export type Correctness = 'all' | 'right' | 'wrong';

export interface ItemFilter {
  /** A variant key ("add/3d") or "all". */
  variant: string;
  correctness: Correctness;
  /** Case-insensitive substring of prompt, target or output. */
  query: string;
}

export const ALL_ITEMS: ItemFilter = { variant: 'all', correctness: 'all', query: '' };

export function filterItems(items: readonly ItemRecord[], filter: ItemFilter): ItemRecord[] {
  const q = filter.query.trim().toLowerCase();
  return items.filter((item) => {
    if (filter.variant !== 'all' && item.variant !== filter.variant) return false;
    if (filter.correctness === 'right' && item.metrics.exact_match !== 1) return false;
    if (filter.correctness === 'wrong' && item.metrics.exact_match !== 0) return false;
    if (q && ![item.prompt, item.target, item.output_text].some((t) => t.toLowerCase().includes(q))) return false;
    return true;
  });
}

export interface MetricColumn {
  id: GenerationMetricId;
  /** Short header; the full label goes in the header's title. */
  short: string;
  label: string;
  digits: number;
}

/** Every generation metric as an item-table column, in registry order. */
export const ITEM_METRIC_COLUMNS: readonly MetricColumn[] = (
  [
    ['exact_match', 'EM', 0],
    ['token_edit_distance', 'tok ED', 0],
    ['char_edit_distance', 'char ED', 0],
    ['digit_accuracy', 'digit acc', 2],
    ['target_logprob', 'log-prob', 3],
    ['mean_token_logprob', 'mean lp', 3],
    ['per_token_prob', 'p', 3],
    ['greedy_consistency', 'greedy', 0],
    ['predicted_exact_match', 'p^L', 3],
  ] as const
).map(([id, short, digits]) => ({ id, short, label: getMetric(id).label, digits }));

export function itemMetricText(item: ItemRecord, column: MetricColumn): string {
  return formatValue(item.metrics[column.id], column.digits);
}

/** Output as shown in a table cell: empty output is named, not left blank. */
export function outputText(item: ItemRecord): string {
  return item.output_text === '' ? '(empty)' : item.output_text;
}
