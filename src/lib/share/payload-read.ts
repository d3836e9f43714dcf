/**
 * Reads the binary link payload written by payload-write.ts (formats 1, 2 and 3). Every step is
 * checked: the CRC first (a cut or mistyped link), then the header schema, then exact lengths
 * of every section, then (r2) the recomputed numbers, so the only outcomes are a fully
 * validated SharedRun or a PayloadError / LinkDecodeError.
 */
import * as v from 'valibot';
import { guardJson } from '../util/json-guard.ts';
import type { MeanCI } from '../metrics/aggregate.ts';
import type { RunResult, VariantAggregate } from '../results/types.ts';
import { computeEmergence } from '../results/emergence.ts';
import { SPEC_FORMAT, SPEC_VERSION } from '../spec/schema.ts';
import { ByteReader, PayloadError } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { LinkDecodeError } from './errors.ts';
import { readItemColumns } from './item-columns.ts';
import { expandItemGroups } from './item-table.ts';
import { HeaderSchema, type LinkHeader } from './link-header.ts';
import { expandModelColumns } from './expand.ts';
import { MAX_RECOMPUTE_WORK } from './limits.ts';
import { isDeferred, NumberReader, resolveDeferred, type Deferred } from './numbers.ts';
import { cellValues, isGenerationMetric, itemsByVariant, recomputeCells, recomputeStandardCells, recomputeWork, standardRecomputeWork } from './recompute.ts';
import { linkMeasures } from './measures.ts';
import type { IntervalStyle, VariantEmergenceMeasures } from '../results/types.ts';
import { MetricError } from '../metrics/errors.ts';
import { findReservedKey } from './reserved-keys.ts';
import { describeIssues, EmergenceSchema, NameSchema, VariantAggregateSchema } from '../results/schema.ts';
import type { SharedItems, SharedModel, SharedRun } from './shared-run.ts';
import { verifyTaskData } from '../tasks/imported/schema.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function bitsOf(mask: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (Math.floor(mask / 2 ** i) % 2 === 1) out.push(i);
  if (mask >= 2 ** count) throw new PayloadError('a metric mask names a metric that is not listed');
  return out;
}

function invalid(what: string, issues: string[]): LinkDecodeError {
  return new LinkDecodeError(`This link's data is invalid (${what}): ${issues.slice(0, 3).join('; ')}. Ask the sender for a new link or the JSON file.`, 'invalid', issues);
}

function parseHeader(bytes: Uint8Array): LinkHeader {
  let data: unknown;
  try {
    data = guardJson(utf8.decode(bytes), { maxDepth: 24, maxBytes: bytes.length, what: "The link's header" });
  } catch {
    throw new PayloadError('the header is not JSON, or nests deeper than any run');
  }
  const spec = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).spec : undefined;
  if (typeof spec === 'object' && spec !== null) {
    const s = spec as Record<string, unknown>;
    if (s.format === SPEC_FORMAT && typeof s.version === 'number' && s.version > SPEC_VERSION) {
      throw new LinkDecodeError(
        `This link was made by a newer version of Emergence Lab (spec version ${s.version}). Open it in the newer lab or update this one.`,
        'newer-version',
      );
    }
  }
  const reserved = findReservedKey(data);
  if (reserved) throw invalid('header', [`reserved key "${reserved}"`]);
  const r = v.safeParse(HeaderSchema, data);
  if (!r.success) throw invalid('header', describeIssues(r.issues));
  const ids = new Set(r.output.spec.models.map((m) => m.id));
  if (!r.output.models.every((m) => ids.has(m.id))) throw invalid('header', ['every model must be one of the models in the spec']);
  return r.output;
}

type Value = number | Deferred;
interface RawCell {
  metric: string;
  n: number;
  mean: Value;
  lo: Value;
  hi: Value;
}

function readRawAggregates(header: LinkHeader, numbers: NumberReader): { variant: string; n: number; cells: RawCell[] }[][] {
  return header.models.map((m) =>
    m.variants.map(([variant, n, mask]) => {
      const cells: RawCell[] = [];
      for (const i of bitsOf(mask, header.metrics.length)) {
        const cellN = numbers.ints.varuint();
        if (cellN < 1) throw new PayloadError('an aggregate averages zero items');
        cells.push({ metric: header.metrics[i], n: cellN, mean: numbers.readAny(cellN), lo: numbers.readAny(cellN), hi: numbers.readAny(cellN) });
      }
      return { variant, n, cells };
    }),
  );
}

/**
 * r2: recomputes the cells that have a deferred number, from the link's items, and resolves
 * them. The work is bounded before anything is computed (MAX_RECOMPUTE_WORK).
 */
function resolveAggregates(raw: ReturnType<typeof readRawAggregates>, items: SharedItems | undefined, bootstrapSeed: number, intervals: IntervalStyle, modelIds: readonly string[]): void {
  const wanted: { cell: RawCell; variant: string; model: number }[] = [];
  raw.forEach((variants, model) => {
    for (const v of variants) for (const cell of v.cells) if (isDeferred(cell.mean) || isDeferred(cell.lo) || isDeferred(cell.hi)) wanted.push({ cell, variant: v.variant, model });
  });
  if (wanted.length === 0) return;
  if (!items) throw new PayloadError('recomputed numbers in a link without items');
  const cellsWanted = wanted.map((w) => ({ variant: w.variant, metric: w.cell.metric, n: w.cell.n }));
  if ((intervals === 'standard' ? standardRecomputeWork(cellsWanted) : recomputeWork(cellsWanted)) > MAX_RECOMPUTE_WORK) {
    throw new LinkDecodeError('This link asks for more computation than any real run needs; it was not opened.', 'too-large');
  }
  const byModel = items.models.map((m) => (m ? itemsByVariant(expandModelColumns(items, m)) : null));
  const cells = wanted.map(({ cell, variant, model }) => {
    const groups = byModel[model];
    if (!groups) throw new PayloadError('a recomputed number belongs to a model without items');
    if (!isGenerationMetric(cell.metric)) throw new PayloadError(`the metric "${cell.metric}" cannot be recomputed from items`);
    const values = cellValues(groups.get(variant), cell.metric);
    if (values.length !== cell.n) throw new PayloadError('a recomputed aggregate does not average the items the link holds');
    return { variant, metric: cell.metric, values, model: modelIds[model] };
  });
  // r1/r2 (and r3 links of legacy runs) replay the percentile bootstrap; r3 the standard intervals.
  const results = intervals === 'standard' ? recomputeStandardCells(cells, bootstrapSeed) : recomputeCells(cells, bootstrapSeed);
  wanted.forEach(({ cell }, i) => {
    const r = results[i];
    if (isDeferred(cell.mean)) cell.mean = resolveDeferred(cell.mean, r.mean);
    if (isDeferred(cell.lo)) cell.lo = resolveDeferred(cell.lo, r.lo);
    if (isDeferred(cell.hi)) cell.hi = resolveDeferred(cell.hi, r.hi);
  });
}

function buildModels(header: LinkHeader, raw: ReturnType<typeof readRawAggregates>): SharedModel[] {
  return header.models.map((m, k) => {
    const variants: VariantAggregate[] = raw[k].map(({ variant, n, cells }) => {
      const metrics: Record<string, MeanCI> = {};
      for (const c of cells) {
        if (isDeferred(c.mean) || isDeferred(c.lo) || isDeferred(c.hi)) throw new PayloadError('a recomputed number was left unresolved');
        metrics[c.metric] = { mean: c.mean, lo: c.lo, hi: c.hi, n: c.n };
      }
      return { variant, n, metrics };
    });
    const checked = v.safeParse(v.array(VariantAggregateSchema), variants);
    if (!checked.success) throw invalid(`aggregates of ${m.id}`, describeIssues(checked.issues));
    return { id: m.id, params: m.params, dtype: m.dtype, device: m.device, status: m.status, error: m.error, aggregates: { variants: checked.output } };
  });
}

function readRawEmergence(header: LinkHeader, numbers: NumberReader): [string, [string, Value][]][] {
  const seen = new Set<string>();
  return header.emergence.map(([variant, mask]) => {
    if (seen.has(variant)) throw new PayloadError('an emergence variant is listed twice');
    seen.add(variant);
    return [variant, bitsOf(mask, header.metrics.length).map((i): [string, Value] => [header.metrics[i], numbers.readAny(1)])];
  });
}

/** Emergence scores; deferred ones are computed as the lab does (runner.ts computeEmergence) from the aggregates. */
function resolveEmergence(raw: ReturnType<typeof readRawEmergence>, models: SharedModel[]): SharedRun['emergence'] {
  let estimates: RunResult['emergence'] | null = null;
  const out: SharedRun['emergence'] = {};
  for (const [variant, scores] of raw) {
    const row: Record<string, number> = {};
    for (const [id, x] of scores) {
      if (!isDeferred(x)) {
        row[id] = x;
        continue;
      }
      if (!estimates) {
        try {
          estimates = computeEmergence(models.map((m) => ({ ...m, loadMs: 0, scoreMs: 0, items: [] })));
        } catch {
          throw new PayloadError('the emergence scores cannot be recomputed from these aggregates');
        }
      }
      const e = Object.hasOwn(estimates, variant) && Object.hasOwn(estimates[variant], id) ? estimates[variant][id] : undefined;
      if (e === undefined) throw new PayloadError('a recomputed emergence score is not one the lab computes');
      row[id] = resolveDeferred(x, e);
    }
    out[variant] = row;
  }
  const checked = v.safeParse(EmergenceSchema, out);
  if (!checked.success) throw invalid('emergence scores', describeIssues(checked.issues));
  return checked.output;
}
function readItems(header: LinkHeader, r: ByteReader): SharedItems | undefined {
  if (!header.items) return undefined;
  const { ids, variants } = expandItemGroups(header.items.groups);
  if (ids.length === 0) throw new PayloadError('the item table is empty');
  if (!v.is(v.array(NameSchema), ids)) throw invalid('items', ['an item id has characters that are not allowed']);
  if (header.items.presence.length !== header.models.length) throw new PayloadError('item presence does not match the models');
  return { ids, variants, logprobSteps: header.items.logprobSteps, models: readItemColumns(r, ids.length, header.items.presence) };
}

/** A SharedRun from an inflated payload of link format `version`. Throws PayloadError or LinkDecodeError. */
/**
 * The emergence measures of an r3 link: stored (schema-checked with the header) or recomputed
 * from its items when the header says so. r1/r2 links never carry them (their senders had none);
 * the page computes them from such a link's items itself.
 */
function resolveMeasures(header: LinkHeader, version: LinkVersion, models: SharedModel[], items: SharedItems | undefined): Record<string, VariantEmergenceMeasures> | undefined {
  const stored = header.measures;
  if (stored === undefined) return undefined;
  if (version < 3) throw new PayloadError('emergence measures in a link format before r3');
  if (stored !== 'recompute') return stored;
  if (!items) throw new PayloadError('recomputed emergence measures in a link without items');
  let out: Record<string, VariantEmergenceMeasures> | null;
  try {
    out = linkMeasures(header.spec.bootstrapSeed, models, items);
  } catch (e) {
    if (!(e instanceof MetricError)) throw e;
    out = null;
  }
  if (out === null) throw new PayloadError('the emergence measures cannot be recomputed from these items');
  return out;
}

export type LinkVersion = 1 | 2 | 3;

export function readPayload(payload: Uint8Array, version: LinkVersion): SharedRun {
  if (payload.length < 5) throw new PayloadError('the payload is too short');
  const stored = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  const content = payload.subarray(0, payload.length - 4);
  if (crc32(content) !== stored) throw new PayloadError('the checksum does not match');

  const r = new ByteReader(content);
  const header = parseHeader(r.bytes(r.varuint()));
  const expected =
    header.models.reduce((s, m) => s + m.variants.reduce((t, [, , mask]) => t + 3 * bitsOf(mask, header.metrics.length).length, 0), 0) +
    header.emergence.reduce((s, [, mask]) => s + bitsOf(mask, header.metrics.length).length, 0);
  const numbers = new NumberReader(r, expected, version >= 2 ? 2 : 1);
  const rawAggregates = readRawAggregates(header, numbers);
  const rawEmergence = readRawEmergence(header, numbers);
  if (!numbers.done) throw new PayloadError('values are left over');
  const items = readItems(header, r);
  if (r.remaining !== 0) throw new PayloadError('bytes are left over after the last section');
  if (version < 3 && header.intervals !== undefined) throw new PayloadError('an interval method in a link format before r3');
  const intervals: IntervalStyle = version >= 3 ? (header.intervals ?? 'standard') : 'legacy-percentile';
  resolveAggregates(rawAggregates, items, header.spec.bootstrapSeed, intervals, header.models.map((m) => m.id));
  const models = buildModels(header, rawAggregates);
  const emergence = resolveEmergence(rawEmergence, models);
  const shared: SharedRun = { spec: header.spec, env: header.env, models, emergence, precision: header.precision, intervals };
  const measures = resolveMeasures(header, version, models, items);
  if (measures) shared.emergenceMeasures = measures;
  if (header.task) {
    const task = header.spec.task;
    if (task.kind !== 'imported') throw invalid('header', ['the link carries a task file but its experiment does not use one']);
    try {
      shared.taskData = verifyTaskData(header.task, task.hash);
    } catch (e) {
      throw invalid('task file', [e instanceof Error ? e.message : String(e)]);
    }
  }
  if (items) shared.items = items;
  return shared;
}
