/**
 * Reads the binary link payload written by payload-write.ts. Every step is checked: the CRC
 * first (a cut or mistyped link), then the header schema, then exact lengths of every section,
 * so the only outcomes are a fully validated SharedRun or a PayloadError / LinkDecodeError.
 */
import * as v from 'valibot';
import type { MeanCI } from '../metrics/aggregate.ts';
import type { VariantAggregate } from '../run/results.ts';
import { SPEC_FORMAT, SPEC_VERSION } from '../spec/schema.ts';
import { ByteReader, PayloadError } from './bytes.ts';
import { crc32 } from './crc32.ts';
import { LinkDecodeError } from './errors.ts';
import { readItemColumns } from './item-columns.ts';
import { expandItemGroups } from './item-table.ts';
import { HeaderSchema, type LinkHeader } from './link-header.ts';
import { NumberReader } from './numbers.ts';
import { findReservedKey } from './reserved-keys.ts';
import { describeIssues, EmergenceSchema, NameSchema, VariantAggregateSchema } from './run-schema.ts';
import type { SharedItems, SharedModel, SharedRun } from './shared-run.ts';

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
    data = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new PayloadError('the header is not JSON');
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

function readAggregates(header: LinkHeader, numbers: NumberReader): SharedModel[] {
  return header.models.map((m) => {
    const variants: VariantAggregate[] = m.variants.map(([variant, n, mask]) => {
      const metrics: Record<string, MeanCI> = {};
      for (const i of bitsOf(mask, header.metrics.length)) {
        const cellN = numbers.ints.varuint();
        if (cellN < 1) throw new PayloadError('an aggregate averages zero items');
        const mean = numbers.read(cellN);
        const lo = numbers.read(cellN);
        const hi = numbers.read(cellN);
        metrics[header.metrics[i]] = { mean, lo, hi, n: cellN };
      }
      return { variant, n, metrics };
    });
    const checked = v.safeParse(v.array(VariantAggregateSchema), variants);
    if (!checked.success) throw invalid(`aggregates of ${m.id}`, describeIssues(checked.issues));
    return { id: m.id, params: m.params, dtype: m.dtype, device: m.device, status: m.status, error: m.error, aggregates: { variants: checked.output } };
  });
}

function readEmergence(header: LinkHeader, numbers: NumberReader): SharedRun['emergence'] {
  const out: SharedRun['emergence'] = {};
  for (const [variant, mask] of header.emergence) {
    if (Object.hasOwn(out, variant)) throw new PayloadError('an emergence variant is listed twice');
    const scores: Record<string, number> = {};
    for (const i of bitsOf(mask, header.metrics.length)) scores[header.metrics[i]] = numbers.read(1);
    out[variant] = scores;
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

/** A SharedRun from an inflated payload. Throws PayloadError or LinkDecodeError. */
export function readPayload(payload: Uint8Array): SharedRun {
  if (payload.length < 5) throw new PayloadError('the payload is too short');
  const stored = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  const content = payload.subarray(0, payload.length - 4);
  if (crc32(content) !== stored) throw new PayloadError('the checksum does not match');

  const r = new ByteReader(content);
  const header = parseHeader(r.bytes(r.varuint()));
  const expected =
    header.models.reduce((s, m) => s + m.variants.reduce((t, [, , mask]) => t + 3 * bitsOf(mask, header.metrics.length).length, 0), 0) +
    header.emergence.reduce((s, [, mask]) => s + bitsOf(mask, header.metrics.length).length, 0);
  const numbers = new NumberReader(r, expected);
  const models = readAggregates(header, numbers);
  const emergence = readEmergence(header, numbers);
  if (!numbers.done) throw new PayloadError('values are left over');
  const items = readItems(header, r);
  if (r.remaining !== 0) throw new PayloadError('bytes are left over after the last section');
  const shared: SharedRun = { spec: header.spec, env: header.env, models, emergence, precision: header.precision };
  if (items) shared.items = items;
  return shared;
}
