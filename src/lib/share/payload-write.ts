/**
 * Writes the binary link payload (layout: docs/share-format.md):
 *   varuint header length · header JSON · numbers (numbers.ts)
 *   · item columns (when the header lists items) · CRC-32 of everything before it.
 */
import type { RunResult } from '../run/results.ts';
import { ByteWriter } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { writeItemColumns, type LogprobSteps } from './item-columns.ts';
import { groupItemIds, type ItemTable } from './item-table.ts';
import type { LinkHeader } from './link-header.ts';
import { NumberWriter, type Rounding } from './numbers.ts';
import type { SharedModelItems } from './shared-run.ts';

export interface PayloadInput {
  result: RunResult;
  precision: 'exact' | 'float32';
  /** Item table and compact columns, or null for an aggregates-only link. */
  items: { table: ItemTable; columns: (SharedModelItems | null)[]; logprobSteps: LogprobSteps } | null;
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

export function writePayload({ result, precision, items }: PayloadInput): Uint8Array {
  const metrics = metricList(result);
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
    items: items && {
      groups: groupItemIds(items.table.ids, items.table.variants),
      logprobSteps: items.logprobSteps,
      presence: items.columns.map((c) => (c === null ? 'none' : c.index.length === items.table.ids.length ? 'all' : 'some')),
    },
  };

  const ints = new ByteWriter();
  const numbers = new NumberWriter(ints);
  // float32: interval ends round outward, so lo ≤ mean ≤ hi still holds after rounding.
  const [down, up, nearest]: Rounding[] = precision === 'float32' ? ['f32-down', 'f32-up', 'f32-nearest'] : ['exact', 'exact', 'exact'];
  for (const m of result.models) {
    for (const a of m.aggregates.variants) {
      for (const id of metrics) {
        const cell = Object.hasOwn(a.metrics, id) ? a.metrics[id] : undefined;
        if (!cell) continue;
        numbers.int(cell.n);
        numbers.write(cell.mean, cell.n, nearest);
        numbers.write(cell.lo, cell.n, down);
        numbers.write(cell.hi, cell.n, up);
      }
    }
  }
  for (const scores of Object.values(result.emergence)) {
    for (const id of metrics) if (Object.hasOwn(scores, id)) numbers.write(scores[id], 1, nearest);
  }

  const out = new ByteWriter();
  const json = new TextEncoder().encode(JSON.stringify(header));
  out.varuint(json.length);
  out.bytes(json);
  numbers.finish(out, ints.finish());
  if (items) writeItemColumns(out, items.table.ids.length, items.columns);
  out.u32(crc32(out.finish()));
  return out.finish();
}
