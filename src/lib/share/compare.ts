/**
 * compareRuns: "Re-run here" side by side. Models pair up by id and dtype (the device may
 * differ: that is often the point of re-running), duplicates in order.
 * Item agreement: same exact match and same output. A SharedRun has no output text, so
 * there "same output" means the same edit distances and digit accuracy against the target
 * (basis 'metrics'), which different outputs rarely share.
 */
import type { ChoiceMetrics, ItemMetrics } from '../metrics/types.ts';
import { itemCorrect, itemOutput, type RunResult, type VariantAggregate } from '../results/types.ts';
import { expandSharedItems } from './expand.ts';
import type { SharedRun } from './shared-run.ts';

export interface AggregateDelta {
  variant: string;
  metric: string;
  a: number;
  b: number;
  /** b − a of the means. */
  delta: number;
}

export interface ModelComparison {
  id: string;
  dtype: string;
  inA: boolean;
  inB: boolean;
  /** Fraction of items present in both that agree; null when no item is in both. */
  agreement: number | null;
  /** Items present in both. */
  compared: number;
  differingItemIds: string[];
  /** 'output' compares output text; 'metrics' compares exact-match-relevant metrics (a SharedRun has no outputs). */
  basis: 'output' | 'metrics' | null;
  /** Per variant per metric present on both sides, in a's order. */
  aggregateDeltas: AggregateDelta[];
}

export interface RunComparison {
  perModel: ModelComparison[];
  /** How exactly side a's aggregates are stored: a link may carry them as float32 (docs/share-format.md). */
  precision: 'exact' | 'float32';
}

interface Side {
  id: string;
  dtype: string;
  variants: VariantAggregate[];
  /** item id → fingerprint of what must match, or null when the side has no items for the model. */
  items: Map<string, string> | null;
}

function isSharedRun(x: RunResult | SharedRun): x is SharedRun {
  return 'precision' in x;
}

/** The exactly stored per-item values a link carries: generation items' counts, choice items' grades. */
const metricFingerprint = (m: ItemMetrics | ChoiceMetrics): string =>
  'mc_grade' in m ? `${m.mc_grade}|${m.mc_grade_norm}` : `${m.exact_match}|${m.token_edit_distance}|${m.char_edit_distance}|${m.digit_accuracy}`;

function sidesOf(run: RunResult | SharedRun, basis: 'output' | 'metrics'): Side[] {
  if (isSharedRun(run)) {
    const expanded = new Map(expandSharedItems(run).map((e) => [e.modelIndex, e.items]));
    return run.models.map((m, i) => {
      const items = expanded.get(i);
      return { id: m.id, dtype: m.dtype, variants: m.aggregates.variants, items: items ? new Map(items.map((it) => [it.id, metricFingerprint(it.metrics)])) : null };
    });
  }
  return run.models.map((m) => ({
    id: m.id,
    dtype: m.dtype,
    variants: m.aggregates.variants,
    items:
      m.items.length === 0
        ? null
        : new Map(m.items.map((it) => [it.id, basis === 'output' ? JSON.stringify([itemCorrect(it), itemOutput(it)]) : metricFingerprint(it.metrics)])),
  }));
}

function aggregateDeltas(a: VariantAggregate[], b: VariantAggregate[]): AggregateDelta[] {
  const out: AggregateDelta[] = [];
  for (const va of a) {
    const vb = b.find((x) => x.variant === va.variant);
    if (!vb) continue;
    for (const [metric, ca] of Object.entries(va.metrics)) {
      const cb = Object.hasOwn(vb.metrics, metric) ? vb.metrics[metric] : undefined;
      if (cb) out.push({ variant: va.variant, metric, a: ca.mean, b: cb.mean, delta: cb.mean - ca.mean });
    }
  }
  return out;
}

function compareItems(a: Map<string, string> | null, b: Map<string, string> | null): Pick<ModelComparison, 'agreement' | 'compared' | 'differingItemIds'> {
  if (!a || !b) return { agreement: null, compared: 0, differingItemIds: [] };
  let compared = 0;
  const differingItemIds: string[] = [];
  for (const [id, fa] of a) {
    const fb = b.get(id);
    if (fb === undefined) continue;
    compared++;
    if (fa !== fb) differingItemIds.push(id);
  }
  return { agreement: compared === 0 ? null : (compared - differingItemIds.length) / compared, compared, differingItemIds };
}

export function compareRuns(a: RunResult | SharedRun, b: RunResult): RunComparison {
  const basis = isSharedRun(a) ? 'metrics' : 'output';
  const sidesA = sidesOf(a, basis);
  const sidesB = sidesOf(b, basis);
  const usedB = new Set<number>();
  const perModel: ModelComparison[] = sidesA.map((sa) => {
    const j = sidesB.findIndex((sb, k) => !usedB.has(k) && sb.id === sa.id && sb.dtype === sa.dtype);
    if (j < 0) return { id: sa.id, dtype: sa.dtype, inA: true, inB: false, agreement: null, compared: 0, differingItemIds: [], basis: null, aggregateDeltas: [] };
    usedB.add(j);
    const sb = sidesB[j];
    const items = compareItems(sa.items, sb.items);
    return { id: sa.id, dtype: sa.dtype, inA: true, inB: true, ...items, basis: items.agreement === null ? null : basis, aggregateDeltas: aggregateDeltas(sa.variants, sb.variants) };
  });
  sidesB.forEach((sb, k) => {
    if (!usedB.has(k)) perModel.push({ id: sb.id, dtype: sb.dtype, inA: false, inB: true, agreement: null, compared: 0, differingItemIds: [], basis: null, aggregateDeltas: [] });
  });
  return { perModel, precision: isSharedRun(a) ? a.precision : 'exact' };
}

/** An aggregate delta that is not 0 (beyond float32 rounding when a link stored the baseline that way). */
export interface NonZeroDelta extends AggregateDelta {
  model: string;
  dtype: string;
}

/** "Re-run here" in a few lines: are all items identical, which differ, which means moved. */
export interface ComparisonSummary {
  /** Items present on both sides, over all models. */
  compared: number;
  /** Items that differ, over all models. */
  differing: number;
  /** Every compared item agrees (and at least one was compared). */
  identical: boolean;
  /** Models with at least one differing item, with those items. */
  modelsWithDifferences: { id: string; dtype: string; compared: number; itemIds: string[] }[];
  /** Models only in the baseline, or only in the new run. */
  notRerun: string[];
  newHere: string[];
  /** Aggregate means that moved (metric deltas that are not 0). */
  deltas: NonZeroDelta[];
  /** Deltas within float32 rounding of a link's stored means, counted as 0. */
  roundingOnly: number;
}

/** float32 keeps 24 significant bits: two roundings of the same number differ by at most 2⁻²³ relative. */
const FLOAT32_RELATIVE = 2 ** -23;

export function summarizeComparison(c: RunComparison): ComparisonSummary {
  let compared = 0;
  let differing = 0;
  let roundingOnly = 0;
  const modelsWithDifferences: ComparisonSummary['modelsWithDifferences'] = [];
  const deltas: NonZeroDelta[] = [];
  for (const m of c.perModel) {
    compared += m.compared;
    differing += m.differingItemIds.length;
    if (m.differingItemIds.length > 0) modelsWithDifferences.push({ id: m.id, dtype: m.dtype, compared: m.compared, itemIds: m.differingItemIds });
    for (const d of m.aggregateDeltas) {
      if (d.delta === 0) continue;
      if (c.precision === 'float32' && Math.abs(d.delta) <= FLOAT32_RELATIVE * Math.max(Math.abs(d.a), Math.abs(d.b))) {
        roundingOnly++;
        continue;
      }
      deltas.push({ ...d, model: m.id, dtype: m.dtype });
    }
  }
  return {
    compared,
    differing,
    identical: compared > 0 && differing === 0,
    modelsWithDifferences,
    notRerun: c.perModel.filter((m) => m.inA && !m.inB).map((m) => m.id),
    newHere: c.perModel.filter((m) => m.inB && !m.inA).map((m) => m.id),
    deltas,
    roundingOnly,
  };
}
