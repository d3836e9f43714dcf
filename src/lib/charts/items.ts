/** The item explorer's data: which items match the filters, and how each column reads. */
import { getMetric, METRICS, type MetricId } from '../metrics/registry.ts';
import { itemCorrect, itemOutput, pickedChoice, type ItemRecord } from '../results/types.ts';
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
    if (filter.correctness === 'right' && itemCorrect(item) !== 1) return false;
    if (filter.correctness === 'wrong' && itemCorrect(item) !== 0) return false;
    if (q && ![item.prompt, item.target, itemOutput(item)].some((t) => t.toLowerCase().includes(q))) return false;
    return true;
  });
}

export interface MetricColumn {
  id: MetricId;
  /** Short header; the full label goes in the header's title. */
  short: string;
  label: string;
  digits: number;
}

/** Every metric as an item-table column, in registry order (the table shows those its items have). */
export const ITEM_METRIC_COLUMNS: readonly MetricColumn[] = METRICS.map((m) => ({
  id: m.id,
  short: m.shortLabel,
  label: m.label,
  // Per item, 0/1 grades and edit distances are whole numbers; means get the registry's decimals.
  digits: m.binary || m.integer ? 0 : Math.max(m.decimals, 3),
}));

/** The columns that apply to these items (generation, choice or both). */
export function metricColumnsFor(items: readonly ItemRecord[]): MetricColumn[] {
  const families = new Set(items.map((i) => (i.kind === 'choice' ? 'choice' : 'generation')));
  return ITEM_METRIC_COLUMNS.filter((c) => families.has(getMetric(c.id).family));
}

export function itemMetricText(item: ItemRecord, column: MetricColumn): string {
  const values = item.metrics as Record<string, number | null | undefined>;
  return formatValue(values[column.id], column.digits);
}

/** Output as shown in a table cell: empty output is named, not left blank; a choice item shows the preferred choice. */
export function outputText(item: ItemRecord): string {
  const out = itemOutput(item);
  return out === '' ? '(empty)' : out;
}

/** A choice item's choices with their probabilities (softmax over the choice log-likelihoods), for the explorer. */
export function choiceRows(item: ItemRecord): { text: string; prob: number; logprob: number; correct: boolean; picked: boolean }[] {
  if (item.kind !== 'choice') return [];
  const lls = item.choice_logprobs;
  const max = Math.max(...lls);
  const exps = lls.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  const picked = pickedChoice(item);
  return item.choices.map((text, k) => ({ text, prob: exps[k] / total, logprob: lls[k], correct: k === item.answer_index, picked: k === picked }));
}
