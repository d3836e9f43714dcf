/**
 * "Re-run here" side by side, shaped for tables: per model × variant, the baseline's and the
 * new run's mean with its 95% interval for one metric, and the items whose results differ.
 * Agreement itself comes from compareRuns (src/lib/share/compare.ts).
 */
import type { MeanCI } from '../metrics/aggregate.ts';
import { itemCorrect, itemOutput, type ItemRecord, type ModelRun, type RunResult } from '../results/types.ts';
import { expandSharedItems, type ExpandedItem } from '../share/expand.ts';
import type { ModelComparison } from '../share/compare.ts';
import type { SharedRun } from '../share/shared-run.ts';

type AnyRun = RunResult | SharedRun;

export interface SideBySideRow {
  modelId: string;
  variant: string;
  a: MeanCI | null;
  b: MeanCI | null;
  /** b − a of the means, or null when either side lacks the value. */
  delta: number | null;
  /** Whether the two intervals overlap (null when either is missing). */
  overlap: boolean | null;
}

function metricOf(model: Pick<ModelRun, 'aggregates'> | undefined, variant: string, metric: string): MeanCI | null {
  const agg = model?.aggregates.variants.find((v) => v.variant === variant);
  return agg && Object.hasOwn(agg.metrics, metric) ? agg.metrics[metric] : null;
}

export function sideBySide(a: AnyRun, b: RunResult, metric: string): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  for (const mb of b.models) {
    const ma = a.models.find((m) => m.id === mb.id && m.dtype === mb.dtype);
    const variants = [...new Set([...(ma?.aggregates.variants ?? []), ...mb.aggregates.variants].map((v) => v.variant))];
    for (const variant of variants) {
      const x = metricOf(ma, variant, metric);
      const y = metricOf(mb, variant, metric);
      rows.push({
        modelId: mb.id,
        variant,
        a: x,
        b: y,
        delta: x && y ? y.mean - x.mean : null,
        overlap: x && y ? x.lo <= y.hi && y.lo <= x.hi : null,
      });
    }
  }
  return rows;
}

export interface DifferingItem {
  id: string;
  variant: string;
  prompt: string;
  target: string;
  /** Exact match on each side (null when that side lacks the item). */
  a: number | null;
  b: number | null;
  /** The new run's output (a link carries no outputs, so only this side has one). */
  outputB: string | null;
  outputA: string | null;
}

function itemsOfA(a: AnyRun, modelId: string): Map<string, ItemRecord | ExpandedItem> {
  if ('precision' in a) {
    const index = a.models.findIndex((m) => m.id === modelId);
    const expanded = expandSharedItems(a).find((e) => e.modelIndex === index);
    return new Map((expanded?.items ?? []).map((it) => [it.id, it]));
  }
  return new Map((a.models.find((m) => m.id === modelId)?.items ?? []).map((it) => [it.id, it]));
}

/** The items compareRuns found different for one model, with what each side said. */
export function differingItems(a: AnyRun, b: RunResult, comparison: ModelComparison, limit = 200): DifferingItem[] {
  const modelB = b.models.find((m) => m.id === comparison.id && m.dtype === comparison.dtype);
  const byIdB = new Map((modelB?.items ?? []).map((it) => [it.id, it]));
  const byIdA = itemsOfA(a, comparison.id);
  return comparison.differingItemIds.slice(0, limit).map((id) => {
    const ib = byIdB.get(id);
    const ia = byIdA.get(id);
    return {
      id,
      variant: ib?.variant ?? ia?.variant ?? '',
      prompt: ib?.prompt ?? '',
      target: ib?.target ?? '',
      a: ia ? itemCorrect(ia as ItemRecord) : null,
      b: ib ? itemCorrect(ib) : null,
      outputA: ia && ('output_text' in ia || 'choices' in ia) ? itemOutput(ia as ItemRecord) : null,
      outputB: ib ? itemOutput(ib) : null,
    };
  });
}
