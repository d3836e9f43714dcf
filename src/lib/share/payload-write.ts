/**
 * Writes the binary link payload (layout: docs/share-format.md):
 *   varuint header length · header JSON · numbers (numbers.ts)
 *   · item columns (when the header lists items) · CRC-32 of everything before it.
 * Format 2 has the same sections; its numbers may be recomputed by the decoder (no body) or
 * stored as residuals from the decoder's estimate.
 */
import type { MeanCI } from '../metrics/aggregate.ts';
import type { GenerationMetricId } from '../metrics/types.ts';
import type { ModelRun, RunResult } from '../results/types.ts';
import { computeEmergence } from '../results/emergence.ts';
import { ByteWriter } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { expandModelColumns } from './expand.ts';
import { writeItemColumns, type LogprobSteps } from './item-columns.ts';
import { MAX_RECOMPUTE_WORK } from './limits.ts';
import { groupItemIds, type ItemTable } from './item-table.ts';
import type { LinkHeader } from './link-header.ts';
import { NumberWriter, type Rounding } from './numbers.ts';
import { CAPPED_AT, cellValues, EXACT_ITEM_METRICS, isGenerationMetric, itemsByVariant, RECOMPUTE_PRIORITY, recomputeCells, recomputeStandardCells, standardRecomputeWork, WorkTally } from './recompute.ts';
import { intervalStyleOf, type IntervalStyle } from '../results/types.ts';
import { linkMeasures, sameMeasures } from './measures.ts';
import type { SharedModelItems } from './shared-run.ts';

export interface PayloadInput {
  result: RunResult;
  precision: 'exact' | 'float32';
  /** Item table and compact columns, or null for an aggregates-only link. */
  items: { table: ItemTable; columns: (SharedModelItems | null)[]; logprobSteps: LogprobSteps } | null;
  /** Embed an imported task's examples (result.task_data) in the header. */
  withTask?: boolean;
  /** Link format: 1 writes the r1 layout (every number stored), 2 the r2 layout, 3 r2's layout with the standard intervals and emergence measures. */
  version: LinkVersion;
  /** r3: carry the emergence measures (stored or recomputed); false leaves them out to fit the budget. */
  measures?: boolean;
  /**
   * r2: leave out what the decoder recomputes bit for bit (aggregates of exactly stored item
   * metrics, emergence scores) and store log-prob aggregates as residuals from its estimate.
   * false stores every number in full, as r1 does.
   */
  recompute: boolean;
  /** Estimates by log-prob steps, shared by the attempts of one encodeShareLink call. */
  estimates?: EstimateCache;
}

export type LinkVersion = 1 | 2 | 3;

export type EstimateCache = Map<string, Estimates>;

export interface Payload {
  bytes: Uint8Array;
  /** How many aggregate numbers and emergence scores the decoder recomputes (no body at all). */
  recomputed: number;
}

function maskOf(keys: Iterable<string>, metrics: readonly string[]): number {
  let mask = 0;
  for (const k of keys) mask += 2 ** metrics.indexOf(k);
  return mask;
}

/** Metric ids in first-seen order over aggregates and emergence scores. */
function metricList(result: RunResult): string[] {
  const seen = new Set<string>();
  for (const m of result.models) for (const a of m.aggregates.variants) for (const k of Object.keys(a.metrics)) seen.add(k);
  for (const scores of Object.values(result.emergence)) for (const k of Object.keys(scores)) seen.add(k);
  return [...seen];
}

/** The numbers an r2 decoder can estimate from the link's items: per model, cell key → recomputed aggregate. */
export interface Estimates {
  cells: Map<string, MeanCI>[];
  /** Cells where item values hit a cap (recomputation is not the sender's aggregate). */
  capped: Set<string>[];
}

const cellKey = (variant: string, metric: string): string => `${variant}\u0000${metric}`;

/**
 * Recomputes, within MAX_RECOMPUTE_WORK, the cells of every model with items, from the items
 * exactly as the decoder will expand them. Metrics in RECOMPUTE_PRIORITY order: those whose
 * stored aggregates cost most bytes first.
 */
function estimate(result: RunResult, items: NonNullable<PayloadInput['items']>, intervals: IntervalStyle): Estimates {
  const table = { ids: items.table.ids, variants: items.table.variants, logprobSteps: items.logprobSteps };
  const byVariant = items.columns.map((c) => (c ? itemsByVariant(expandModelColumns(table, c)) : null));
  const chosen: { model: number; variant: string; metric: GenerationMetricId; values: number[] }[] = [];
  const tally = new WorkTally();
  let standardWork = 0;
  for (const metric of RECOMPUTE_PRIORITY) {
    result.models.forEach((m, model) => {
      const groups = byVariant[model];
      if (!groups) return;
      for (const a of m.aggregates.variants) {
        if (!Object.hasOwn(a.metrics, metric)) continue;
        const values = cellValues(groups.get(a.variant), metric);
        if (values.length === 0 || values.length !== a.metrics[metric].n) continue;
        const cell = { variant: a.variant, metric, n: values.length };
        if (intervals === 'standard') {
          const work = standardRecomputeWork([cell]);
          if (standardWork + work > MAX_RECOMPUTE_WORK) continue;
          standardWork += work;
        } else {
          if (tally.peek(cell) > MAX_RECOMPUTE_WORK) continue;
          tally.add(cell);
        }
        chosen.push({ model, variant: a.variant, metric, values });
      }
    });
  }
  const recomputed =
    intervals === 'standard'
      ? recomputeStandardCells(
          chosen.map((c) => ({ ...c, model: result.models[c.model].id })),
          result.spec.bootstrapSeed,
        )
      : recomputeCells(chosen, result.spec.bootstrapSeed);
  const out: Estimates = { cells: result.models.map(() => new Map()), capped: result.models.map(() => new Set()) };
  chosen.forEach((c, i) => {
    out.cells[c.model].set(cellKey(c.variant, c.metric), recomputed[i]);
    const cap = CAPPED_AT[c.metric];
    if (cap !== undefined && c.values.some((x) => x >= cap)) out.capped[c.model].add(cellKey(c.variant, c.metric));
  });
  return out;
}

const sameCell = (a: MeanCI, b: MeanCI): boolean => Object.is(a.mean, b.mean) && Object.is(a.lo, b.lo) && Object.is(a.hi, b.hi) && a.n === b.n;

/** Measures from a link's items, per item table: the attempts of one encodeShareLink share their items objects. */
const measureCache = new WeakMap<object, ReturnType<typeof linkMeasures>>();
function measuresFromItems(result: RunResult, items: NonNullable<PayloadInput['items']>): ReturnType<typeof linkMeasures> {
  if (!measureCache.has(items)) {
    // Measures from items that differ from the sender's (log-probs rounded to the link's steps)
    // cannot reproduce the sender's measures: skip their bootstrap (the measures are stored).
    const table = { ids: items.table.ids, variants: items.table.variants, logprobSteps: items.logprobSteps };
    const same = result.models.every((m, i) => {
      const column = items.columns[i];
      if (!column) return m.items.length === 0;
      const expanded = expandModelColumns(table, column);
      return expanded.length === m.items.length && expanded.every((e, k) => Object.entries(e.metrics).every(([id, x]) => Object.is((m.items[k].metrics as unknown as Record<string, number | null>)[id], x)));
    });
    if (!same) {
      measureCache.set(items, null);
      return null;
    }
    measureCache.set(items, linkMeasures(result.spec.bootstrapSeed, result.models, { ids: items.table.ids, variants: items.table.variants, logprobSteps: items.logprobSteps, models: items.columns }));
  }
  return measureCache.get(items)!;
}

export function writePayload({ result, precision, items, version, recompute, estimates: cache, withTask, measures = true }: PayloadInput): Payload {
  const metrics = metricList(result);
  // r1/r2 decoders replay the legacy method; r3 names the method of the sender's aggregates.
  const intervals: IntervalStyle = version >= 3 ? intervalStyleOf(result) : 'legacy-percentile';
  const header: LinkHeader = {
    spec: result.spec,
    env: result.env,
    metrics,
    models: result.models.map((m) => ({
      id: m.id,
      params: m.params,
      dtype: m.dtype as LinkHeader['models'][number]['dtype'],
      device: m.device as LinkHeader['models'][number]['device'],
      status: m.status,
      error: m.error,
      variants: m.aggregates.variants.map((a) => [a.variant, a.n, maskOf(Object.keys(a.metrics), metrics)] as [string, number, number]),
    })),
    emergence: Object.entries(result.emergence).map(([variant, scores]) => [variant, maskOf(Object.keys(scores), metrics)] as [string, number]),
    precision,
    ...(version >= 3 ? { intervals } : {}),
    ...(withTask && result.task_data ? { task: result.task_data } : {}),
    items: items && {
      groups: groupItemIds(items.table.ids, items.table.variants),
      logprobSteps: items.logprobSteps,
      presence: items.columns.map((c) => (c === null ? 'none' : c.index.length === items.table.ids.length ? 'all' : 'some')),
    },
  };

  const ints = new ByteWriter();
  const numbers = new NumberWriter(ints, version >= 2 ? 2 : 1);
  const r2 = version >= 2 && recompute;
  let estimates: Estimates | null = null;
  if (r2 && items) {
    const key = `${items.logprobSteps}:${intervals}`;
    estimates = cache?.get(key) ?? estimate(result, items, intervals);
    cache?.set(key, estimates);
  }
  let recomputedCount = 0;
  // float32: interval ends round outward, so lo ≤ mean ≤ hi still holds after rounding.
  const [down, up, nearest]: Rounding[] = precision === 'float32' ? ['f32-down', 'f32-up', 'f32-nearest'] : ['exact', 'exact', 'exact'];
  // The aggregates as the decoder will read them: emergence estimates are computed from these.
  const decoded: ModelRun[] = result.models.map((m) => ({ ...m, items: [], aggregates: { variants: [] } }));
  result.models.forEach((m, model) => {
    for (const a of m.aggregates.variants) {
      const cells: Record<string, MeanCI> = {};
      for (const id of metrics) {
        const cell = Object.hasOwn(a.metrics, id) ? a.metrics[id] : undefined;
        if (!cell) continue;
        numbers.int(cell.n);
        const key = cellKey(a.variant, id);
        const est = estimates?.cells[model].get(key);
        if (est && isGenerationMetric(id) && EXACT_ITEM_METRICS.includes(id) && !estimates!.capped[model].has(key) && sameCell(est, cell)) {
          numbers.recomputed();
          numbers.recomputed();
          numbers.recomputed();
          recomputedCount += 3;
          cells[id] = { ...cell };
          continue;
        }
        const mean = numbers.write(cell.mean, cell.n, nearest, { estimate: est?.mean });
        const lo = numbers.write(cell.lo, cell.n, down, { estimate: est?.lo });
        const hi = numbers.write(cell.hi, cell.n, up, { estimate: est?.hi });
        cells[id] = { mean, lo, hi, n: cell.n };
      }
      decoded[model].aggregates.variants.push({ variant: a.variant, n: a.n, metrics: cells });
    }
  });
  let emergence: RunResult['emergence'] | null = null;
  if (r2) {
    try {
      emergence = computeEmergence(decoded);
    } catch {
      emergence = null; // not a run the lab could have made: every score is stored
    }
  }
  for (const [variant, scores] of Object.entries(result.emergence)) {
    for (const id of metrics) {
      if (!Object.hasOwn(scores, id)) continue;
      const est = emergence && Object.hasOwn(emergence, variant) && Object.hasOwn(emergence[variant], id) ? emergence[variant][id] : null;
      if (est !== null && Object.is(est, scores[id])) {
        numbers.recomputed();
        recomputedCount++;
      } else {
        numbers.write(scores[id], 1, nearest, { estimate: est });
      }
    }
  }

  if (version >= 3 && measures && result.emergence_measures) {
    // Recomputed when the decoder gets the sender's measures from the link's items, else stored.
    const fromItems = items ? measuresFromItems(result, items) : null;
    header.measures = fromItems && sameMeasures(fromItems, result.emergence_measures) ? 'recompute' : result.emergence_measures;
  }

  const out = new ByteWriter();
  const json = new TextEncoder().encode(JSON.stringify(header));
  out.varuint(json.length);
  out.bytes(json);
  numbers.finish(out, ints.finish());
  if (items) writeItemColumns(out, items.table.ids.length, items.columns);
  out.u32(crc32(out.finish()));
  return { bytes: out.finish(), recomputed: recomputedCount };
}
