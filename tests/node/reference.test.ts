/**
 * The reference results the page shows at first paint (static/reference/default-run.json) are
 * what `npm run reference` computes now: the default experiment, run again here with the Node
 * engine, gives the same outputs and, within 1e-9, the same numbers. Only the fields listed in
 * REFERENCE_VOLATILE_FIELDS (dates, Node version, timings) may differ.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildReference, REFERENCE_PATH, REFERENCE_VOLATILE_FIELDS, referenceDate, referenceSpec, serializeReference } from '../../scripts/reference.ts';
import { loadLadder } from '../../src/cli/node-engine.ts';
import { sameExperiment } from '../../src/lib/results/agreement.ts';
import type { RunResult } from '../../src/lib/results/types.ts';
import { parseRunFile } from '../../src/lib/share/run-file.ts';

const REGENERATE = 'run npm run reference';
const TOLERANCE = 1e-9;
const text = readFileSync(REFERENCE_PATH, 'utf8');
const committed = parseRunFile(text);

/** Paths with array indices written as [] ("models[].loadMs"), to match REFERENCE_VOLATILE_FIELDS. */
function isVolatile(path: string): boolean {
  const general = path.replace(/\[\d+\]/g, '[]');
  return (REFERENCE_VOLATILE_FIELDS as readonly string[]).includes(general);
}

/** Every difference between two JSON values (numbers within TOLERANCE, everything else exactly), up to `limit`. */
function differences(a: unknown, b: unknown, path = '', out: string[] = [], limit = 10): string[] {
  if (out.length >= limit || isVolatile(path)) return out;
  if (typeof a === 'number' && typeof b === 'number') {
    if (!(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a)))) out.push(`${path}: file ${a}, now ${b}`);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: file has ${a.length} entries, now ${b.length}`);
    else a.forEach((x, i) => differences(x, b[i], `${path}[${i}]`, out, limit));
    return out;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out, limit);
    return out;
  }
  if (a !== b) out.push(`${path}: file ${JSON.stringify(a)}, now ${JSON.stringify(b)}`);
  return out;
}

describe('static/reference/default-run.json', () => {
  it('holds the default experiment exactly as the page builds it (else: run npm run reference)', async () => {
    const spec = referenceSpec(await loadLadder('arith'));
    // The page shows the reference only when its spec is the form's default (ignoring devices).
    expect(sameExperiment(committed.spec, spec), `The default experiment changed since the reference was made: ${REGENERATE}.`).toBe(true);
    expect(committed.spec, `The reference's spec differs from defaultSpec(ladder, 'wasm'): ${REGENERATE}.`).toEqual(spec);
  });

  it('is a complete run: every model done with every item, recorded on the CPU with a date', () => {
    expect(committed.models.map((m) => m.id)).toEqual(committed.spec.models.map((m) => m.id));
    for (const m of committed.models) {
      expect(m.status).toBe('done');
      expect(m.device).toBe('cpu');
      expect(m.items).toHaveLength(5 * 40);
    }
    expect(committed.env.backend).toBe('cpu');
    expect(referenceDate(text)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(committed.env.finishedAt).toBe(committed.env.startedAt);
  });

  it('stays small enough to fetch at first paint (under 300 KB gzip-compressed)', () => {
    expect(gzipSync(text).length).toBeLessThan(300 * 1024);
  });

  describe('regenerated now', () => {
    let fresh: RunResult;
    beforeAll(async () => {
      fresh = await buildReference(referenceDate(text) ?? '2000-01-01');
    });

    it('gives the same outputs and metrics (numbers within 1e-9; only dates, Node version and timings may differ)', () => {
      const diffs = differences(JSON.parse(text), JSON.parse(serializeReference(fresh)));
      expect(diffs, `The reference file is stale (${diffs.length}+ differences): ${REGENERATE}.\n${diffs.join('\n')}`).toEqual([]);
    });

    it('the comparison would notice a changed output or number', () => {
      const changed = JSON.parse(serializeReference(fresh)) as RunResult;
      const item = changed.models[3].items[7];
      if (item.kind === 'choice') throw new Error('the default experiment has generation items only');
      item.output_text += '9';
      item.target_logprobs[0] += 1e-6;
      changed.models[0].loadMs += 1000;
      expect(differences(JSON.parse(text), changed)).toEqual([
        `models[3].items[7].target_logprobs[0]: file ${committed.models[3].items[7].kind !== 'choice' ? committed.models[3].items[7].target_logprobs[0] : ''}, now ${item.target_logprobs[0]}`,
        `models[3].items[7].output_text: file ${JSON.stringify(item.output_text.slice(0, -1))}, now ${JSON.stringify(item.output_text)}`,
      ]);
    });
  });
});
