/** The item explorer's data: which items match the filters, and how each column reads. */
import { getMetric, METRICS, type MetricId } from '../metrics/registry.ts';
import { itemCorrect, itemOutput, pickedChoice, type ItemRecord } from '../results/types.ts';
import { formatValue } from './format.ts';

/** 'near': wrong, but close (see isNearMiss). */
export type Correctness = 'all' | 'right' | 'wrong' | 'near';

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
    if (filter.correctness === 'near' && !isNearMiss(item)) return false;
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

/**
 * A near miss: a generated answer that is wrong under exact match but close — at least half of
 * its digits right (digit accuracy ≥ 0.5, aligned from the units; metrics/digitAccuracy.ts), or
 * one edit away from the target (character or token edit distance 1). "1159" for "1155" is one.
 * Read from the item's stored metrics, so it works for share links too (they carry no outputs).
 * Multiple-choice items have no partial answer: never near misses.
 */
export function isNearMiss(item: ItemRecord): boolean {
  if (item.kind === 'choice' || item.metrics.exact_match !== 0) return false;
  const digits = item.metrics.digit_accuracy;
  if (typeof digits === 'number' && digits >= 0.5) return true;
  return item.metrics.char_edit_distance === 1 || item.metrics.token_edit_distance === 1;
}

/**
 * One run of the output as the diff shows it: characters equal to the target's ('same'), put in
 * place of other target characters ('changed', with what the target has there), or not in the
 * target at all ('extra'); 'missing' marks target characters the output lacks at that point.
 */
export type DiffSegment =
  | { kind: 'same'; text: string }
  | { kind: 'changed'; text: string; expected: string }
  | { kind: 'extra'; text: string }
  | { kind: 'missing'; expected: string };

/** Beyond this many cells (|target| × |output|) the diff is not computed (long free-text answers). */
export const DIFF_MAX_CELLS = 250_000;

function push(out: DiffSegment[], seg: DiffSegment): void {
  const last = out[out.length - 1];
  if (last && last.kind === seg.kind) {
    if (last.kind === 'same' && seg.kind === 'same') last.text += seg.text;
    else if (last.kind === 'extra' && seg.kind === 'extra') last.text += seg.text;
    else if (last.kind === 'changed' && seg.kind === 'changed') {
      last.text += seg.text;
      last.expected += seg.expected;
    } else if (last.kind === 'missing' && seg.kind === 'missing') last.expected += seg.expected;
    else out.push(seg);
  } else out.push(seg);
}

/**
 * Character diff of output against target, both trimmed as exact match and character edit
 * distance trim them, over Unicode code points: a minimal Levenshtein alignment (the same
 * distance as char_edit_distance) read back from the end, preferring a substitution, then a
 * deletion, then an insertion, so "1159" vs "1155" reads as one changed character. Returns null
 * when the strings are too long to align (DIFF_MAX_CELLS).
 */
export function charDiff(target: string, output: string): DiffSegment[] | null {
  const t = [...target.trim()];
  const o = [...output.trim()];
  if ((t.length + 1) * (o.length + 1) > DIFF_MAX_CELLS) return null;
  const w = o.length + 1;
  // d[i*w + j] = distance between t[0..i) and o[0..j).
  const d = new Uint32Array((t.length + 1) * w);
  for (let i = 0; i <= t.length; i++) d[i * w] = i;
  for (let j = 0; j <= o.length; j++) d[j] = j;
  for (let i = 1; i <= t.length; i++) {
    for (let j = 1; j <= o.length; j++) {
      const sub = d[(i - 1) * w + j - 1] + (t[i - 1] === o[j - 1] ? 0 : 1);
      d[i * w + j] = Math.min(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, sub);
    }
  }
  const rev: DiffSegment[] = [];
  let i = t.length;
  let j = o.length;
  while (i > 0 || j > 0) {
    const here = d[i * w + j];
    if (i > 0 && j > 0 && here === d[(i - 1) * w + j - 1] + (t[i - 1] === o[j - 1] ? 0 : 1)) {
      rev.push(t[i - 1] === o[j - 1] ? { kind: 'same', text: o[j - 1] } : { kind: 'changed', text: o[j - 1], expected: t[i - 1] });
      i--;
      j--;
    } else if (i > 0 && here === d[(i - 1) * w + j] + 1) {
      rev.push({ kind: 'missing', expected: t[i - 1] });
      i--;
    } else {
      rev.push({ kind: 'extra', text: o[j - 1] });
      j--;
    }
  }
  const out: DiffSegment[] = [];
  for (let k = rev.length - 1; k >= 0; k--) push(out, { ...rev[k] } as DiffSegment);
  return out;
}

/** How a screen reader hears a differing segment (the visible cue is the underline and colour). */
export function diffSegmentLabel(seg: DiffSegment): string {
  switch (seg.kind) {
    case 'same':
      return '';
    case 'changed':
      return ` (differs: target has ${seg.expected})`;
    case 'extra':
      return ' (differs: not in target)';
    case 'missing':
      return `(missing: ${seg.expected})`;
  }
}

/** Leading whitespace, the trimmed text, trailing whitespace (the diff covers the middle part only). */
export function splitTrim(text: string): [string, string, string] {
  const core = text.trim();
  if (core === '') return [text, '', ''];
  const start = text.indexOf(core);
  return [text.slice(0, start), core, text.slice(start + core.length)];
}
