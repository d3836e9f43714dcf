/**
 * Link format r2 on real runs of the lab's default experiment (the bundled ladder in
 * static/models/arith, scored with onnxruntime-node as tests/node/run.test.ts does): sizes,
 * bit-exact aggregates recomputed from per-item results, the fallbacks, r1 links.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createNodeEngine, loadLadder, nodeEnvironment } from '../../../src/cli/node-engine.ts';
import { defaultSpec, paramsOfBundled } from '../../../src/lib/catalog/ladder.ts';
import { GENERATION_METRIC_IDS } from '../../../src/lib/metrics/registry.ts';
import type { GenerationItemRecord, RunResult } from '../../../src/lib/results/types.ts';
import { runExperiment } from '../../../src/lib/run/runner.ts';
import { computeEmergence } from '../../../src/lib/results/emergence.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import { encodeBase64url } from '../../../src/lib/share/base64url.ts';
import { deflateMax } from '../../../src/lib/share/inflate.ts';
import { ByteWriter } from '../../../src/lib/share/bytes.ts';
import { compactModelItems, writeItemColumns } from '../../../src/lib/share/item-columns.ts';
import { buildItemTable } from '../../../src/lib/share/item-table.ts';
import { decodeShareLink, encodeShareLink, LinkDecodeError, type SharedRun } from '../../../src/lib/share/index.ts';
import { differenceFromRun } from '../../../src/lib/share/link-encode.ts';
import { writePayload } from '../../../src/lib/share/payload-write.ts';
import { EXACT_ITEM_METRICS } from '../../../src/lib/share/recompute.ts';
import { expectLinkDecodeError, fragmentOf as helperFragment, payloadOf, splitPayload } from './link-helpers.ts';
import { syntheticRun } from './synthetic-run.ts';

/** The lab's base URL in the size figures of docs/share-format.md. */
const BASE_URL = 'https://emergence-lab.example.org/';
/** Whole-URL sizes documented in docs/share-format.md, with room for other CPUs' rounding. */
const DOCUMENTED = { sixModels: 6_700, sevenModels: 7_500, sixModelsAggregatesOnly: 6_500 };

/** First `count` models of a run, emergence recomputed for that ladder (as if only they had run). */
function firstModels(run: RunResult, count: number): RunResult {
  const models = run.models.slice(0, count);
  return { ...run, spec: { ...run.spec, models: run.spec.models.slice(0, count) }, models, emergence: computeEmergence(models) };
}

function expectBitExact(shared: SharedRun, run: RunResult) {
  run.models.forEach((m, i) =>
    m.aggregates.variants.forEach((a, j) => {
      const b = shared.models[i].aggregates.variants[j];
      expect(b.variant).toBe(a.variant);
      expect(Object.keys(b.metrics)).toEqual(Object.keys(a.metrics));
      for (const [id, c] of Object.entries(a.metrics)) {
        for (const k of ['mean', 'lo', 'hi', 'n'] as const) expect(Object.is(b.metrics[id][k], c[k]), `${m.id} ${a.variant} ${id}.${k}`).toBe(true);
      }
    }),
  );
  expect(Object.keys(shared.emergence)).toEqual(Object.keys(run.emergence));
  for (const [variant, scores] of Object.entries(run.emergence)) {
    for (const [id, x] of Object.entries(scores)) expect(Object.is(shared.emergence[variant][id], x), `emergence ${variant} ${id}`).toBe(true);
  }
}

/** A fragment of a hand-made payload (any version, any attempt). */
function fragmentOf(run: RunResult, opts: { version: 1 | 2; recompute: boolean; precision?: 'exact' | 'float32'; steps?: 256 | 64 | 16 | null }): string {
  const steps = opts.steps === undefined ? 256 : opts.steps;
  const table = buildItemTable(run.models)!;
  const items = steps === null ? null : { table, columns: run.models.map((m, i) => (table.index[i] ? compactModelItems(m, table.index[i]!, steps) : null)), logprobSteps: steps };
  return `#r${opts.version}.` + encodeBase64url(deflateMax(writePayload({ result: run, precision: opts.precision ?? 'exact', items, version: opts.version, recompute: opts.recompute }).bytes));
}

const ladder = await loadLadder('arith');

// Generous limits: the machine may be shared. The run itself takes a few seconds.
describe('r2 links of the default experiment (real engine)', { timeout: 300_000 }, () => {
  let run: RunResult;
  beforeAll(async () => {
    run = await runExperiment(defaultSpec(ladder, 'cpu'), createNodeEngine(), { env: nodeEnvironment(), paramsOf: (ref) => paramsOfBundled(ladder, ref.id) });
    expect(run.models.map((m) => m.status)).toEqual(run.models.map(() => 'done'));
    expect(run.models.map((m) => m.items.length)).toEqual(run.models.map(() => 200));
  }, 300_000);

  it('6 models × 5 variants × 40 items: items at 1/256 nat and exact aggregates, bit for bit, in the documented size', () => {
    const six = firstModels(run, 6);
    const link = encodeShareLink(six, { baseUrl: BASE_URL });
    const url = BASE_URL.length + link.bytes;
    console.info(`default run, 6 models: ${url} characters (whole URL), ${link.precision}, 1/${link.logprobSteps} nat, ${link.recomputed} numbers recomputed`);
    expect(link).toMatchObject({ includesItems: true, precision: 'exact', logprobSteps: 256 });
    expect(url).toBeLessThanOrEqual(DOCUMENTED.sixModels);
    const shared = decodeShareLink(link.fragment);
    expectBitExact(shared, six);
    expect(differenceFromRun(shared, six)).toBeNull();
    // Every exact-metric cell (5 metrics × 5 variants × 6 models × mean, lo, hi) and every
    // emergence score is recomputed: no edit distance of this run reaches the cap.
    expect(link.recomputed).toBe(5 * 5 * 6 * 3 + 5 * 9);
    const aggregatesOnly = encodeShareLink(six, { baseUrl: BASE_URL, items: false });
    console.info(`default run, 6 models, aggregates only: ${BASE_URL.length + aggregatesOnly.bytes} characters`);
    expect(BASE_URL.length + aggregatesOnly.bytes).toBeLessThanOrEqual(DOCUMENTED.sixModelsAggregatesOnly);
    expect(aggregatesOnly.recomputed).toBe(5 * 9); // emergence scores, from the exact means
    expectBitExact(decodeShareLink(aggregatesOnly.fragment), six);
  });

  it('7 models × 5 × 40: items at 1/256 nat and exact aggregates, bit for bit; decoding is fast', () => {
    const link = encodeShareLink(run, { baseUrl: BASE_URL });
    const url = BASE_URL.length + link.bytes;
    expect(link).toMatchObject({ includesItems: true, precision: 'exact', logprobSteps: 256 });
    expect(url).toBeLessThanOrEqual(DOCUMENTED.sevenModels);
    expectBitExact(decodeShareLink(link.fragment), run);
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      decodeShareLink(link.fragment);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.info(`default run, 7 models: ${url} characters, decode ${times[0].toFixed(0)}–${times[6].toFixed(0)} ms (median ${times[3].toFixed(0)})`);
    // Not a benchmark (the machine may be shared): catches a recomputation gone quadratic.
    expect(times[3]).toBeLessThan(1_000);
  });

  it('the per-item results of the link recompute to the aggregates the lab computed', () => {
    const shared = decodeShareLink(encodeShareLink(run, { baseUrl: BASE_URL }).fragment);
    run.models.forEach((m, i) => {
      const fromLink = shared.models[i].aggregates.variants;
      const lab = aggregateModelItems(m.items, { seed: run.spec.bootstrapSeed, model: m.id });
      lab.forEach((a, j) => {
        for (const id of EXACT_ITEM_METRICS) expect(fromLink[j].metrics[id]).toEqual(a.metrics[id]);
      });
    });
  });

  it('r1 links of the same run still decode to the same numbers', () => {
    const r1 = fragmentOf(run, { version: 1, recompute: false });
    expect(r1.startsWith('#r1.')).toBe(true);
    const shared = decodeShareLink(r1);
    expectBitExact(shared, run);
    expect(shared.items!.models.every((m) => m !== null)).toBe(true);
  });
});

describe('r2 fallbacks and checks', { timeout: 300_000 }, () => {
  // A run made before issue 12 (legacy intervals): what r2 links carried.
  const small = syntheticRun({ models: 3, digits: [2, 3], perVariant: 12, intervals: 'legacy-percentile' });

  it('an edit distance at the cap (255 = "255 or more"): that cell is stored, the link stays exact', () => {
    const run = structuredClone(small);
    const m = run.models[1];
    const edited = m.items[3] as GenerationItemRecord;
    edited.metrics.token_edit_distance = 300;
    edited.metrics.char_edit_distance = 300;
    m.aggregates = { variants: aggregateModelItems(m.items, { seed: run.spec.bootstrapSeed, model: m.id, intervals: 'legacy-percentile' }) };
    run.emergence = computeEmergence(run.models);
    const plain = encodeShareLink(small);
    const link = encodeShareLink(run);
    expect(link).toMatchObject({ includesItems: true, precision: 'exact' });
    // Two cells (token and char edit distance of that variant) fewer recomputed.
    expect(link.recomputed).toBe(plain.recomputed! - 2 * 3);
    const shared = decodeShareLink(link.fragment);
    expectBitExact(shared, run);
    expect(shared.items!.models[1]!.tokenEditDistance[3]).toBe(255);
  });

  it('aggregates the items do not reproduce (an edited run) are stored as they are', () => {
    const run = structuredClone(small);
    const cell = run.models[0].aggregates.variants[1].metrics.exact_match;
    cell.hi = Math.min(1, cell.hi + 1 / 64);
    run.models[2].aggregates.variants[0].metrics.target_logprob.mean -= 1e-9;
    run.emergence[Object.keys(run.emergence)[0]].digit_accuracy += 0.5;
    const link = encodeShareLink(run);
    expect(link.precision).toBe('exact');
    // The exact-match cell, the edited emergence score, and the target-log-prob emergence score
    // of that variant (its mean changed, so computeEmergence no longer gives the sender's score).
    expect(link.recomputed).toBe(encodeShareLink(small).recomputed! - 3 - 1 - 1);
    expectBitExact(decodeShareLink(link.fragment), run);
  });

  it('every attempt is checked against the sender: differenceFromRun names the first difference', () => {
    const shared = decodeShareLink(encodeShareLink(small).fragment);
    expect(differenceFromRun(shared, small)).toBeNull();
    const off = structuredClone(shared);
    off.models[1].aggregates.variants[0].metrics.per_token_prob.lo *= 1 - 1e-12;
    expect(differenceFromRun(off, small)).toMatch(/per_token_prob/);
    const f32 = structuredClone(shared);
    f32.precision = 'float32';
    const c = f32.models[0].aggregates.variants[0].metrics.target_logprob;
    c.lo = Math.fround(c.lo) <= c.lo ? Math.fround(c.lo) : c.lo; // one float32 rounding down is within the contract
    expect(differenceFromRun(f32, small)).toBeNull();
    const em = structuredClone(shared);
    em.emergence[Object.keys(em.emergence)[0]].exact_match += 1;
    expect(differenceFromRun(em, small)).toMatch(/emergence/);
  });

  it('float32 r2 links: log-prob aggregates within the float32 contract, the rest exact', () => {
    const f = fragmentOf(small, { version: 2, recompute: true, precision: 'float32', steps: 16 });
    const shared = decodeShareLink(f);
    expect(shared.precision).toBe('float32');
    expect(differenceFromRun(shared, small)).toBeNull();
    small.models.forEach((m, i) =>
      m.aggregates.variants.forEach((a, j) => {
        for (const id of EXACT_ITEM_METRICS) expect(shared.models[i].aggregates.variants[j].metrics[id]).toEqual(a.metrics[id]);
      }),
    );
  });

  it('every number stored (the fallback) decodes the same as with recomputation, and is larger', () => {
    const recomputed = fragmentOf(small, { version: 2, recompute: true });
    const stored = fragmentOf(small, { version: 2, recompute: false });
    expect(stored.length).toBeGreaterThan(recomputed.length);
    expect(decodeShareLink(stored)).toEqual(decodeShareLink(recomputed));
    expectBitExact(decodeShareLink(stored), small);
  });

  it('r1 links made by the r1 encoder (fixtures) decode as they did (their specs, older than spec.metrics, get every metric)', () => {
    const fixtures = JSON.parse(readFileSync(new URL('./fixtures/r1-links.json', import.meta.url), 'utf8')) as Record<string, { fragment: string; decoded: SharedRun }>;
    expect(Object.keys(fixtures)).toEqual(['exactItems', 'float32Items16', 'aggregatesOnly']);
    for (const { fragment, decoded } of Object.values(fixtures)) {
      expect(fragment.startsWith('#r1.')).toBe(true);
      expect(decoded.spec).not.toHaveProperty('metrics');
      expect(decodeShareLink(fragment)).toEqual({ ...decoded, spec: { ...decoded.spec, metrics: [...GENERATION_METRIC_IDS] }, intervals: 'legacy-percentile' });
    }
  });

  it('an r1 link cannot use r2 numbers; an r2 link without items cannot ask for recomputed aggregates', () => {
    const r2 = fragmentOf(small, { version: 2, recompute: true });
    // The same bytes under the r1 envelope: tags 3–5 are unknown there.
    expectDecodeError(() => decodeShareLink('#r1.' + r2.slice(4)), 'damaged', /unknown number tag/);
    // Header says "no items", numbers still say "recomputed": cut the item columns off.
    const { header, rest } = splitPayload(payloadOf(r2));
    const table = buildItemTable(small.models)!;
    const w = new ByteWriter();
    writeItemColumns(w, table.ids.length, small.models.map((m, i) => compactModelItems(m, table.index[i]!, 256)));
    const h = JSON.parse(header);
    expect(h.items).not.toBeNull();
    h.items = null;
    expectDecodeError(() => decodeShareLink(helperFragment(JSON.stringify(h), rest.slice(0, rest.length - w.length))), 'damaged', /without items/);
  });
});

function expectDecodeError(f: () => unknown, code: string, issue: RegExp) {
  expectLinkDecodeError(f, code, { issue });
}

describe('r2 recomputation budget', { timeout: 300_000 }, () => {
  it('a link that asks for more recomputation than MAX_RECOMPUTE_WORK is refused as too large', async () => {
    const run = syntheticRun({ models: 2, digits: [2], perVariant: 30 });
    const fragment = encodeShareLink(run).fragment;
    expect(encodeShareLink(run).recomputed).toBeGreaterThan(0);
    vi.resetModules();
    vi.doMock('../../../src/lib/share/limits.ts', async (importOriginal) => ({ ...(await importOriginal<object>()), MAX_RECOMPUTE_WORK: 1000 }));
    const lowered = await import('../../../src/lib/share/index.ts');
    let err: unknown;
    try {
      lowered.decodeShareLink(fragment);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(lowered.LinkDecodeError);
    expect((err as LinkDecodeError).code).toBe('too-large');
    // With that budget the encoder recomputes from items only the Wilson cells (exact match and
    // greedy consistency: a count each, 3 numbers per cell) besides the emergence scores (which need no items).
    const lean = lowered.encodeShareLink(run);
    const wilsonCells = run.models.reduce((s, m) => s + m.aggregates.variants.reduce((t, a) => t + ['exact_match', 'greedy_consistency'].filter((id) => id in a.metrics).length, 0), 0);
    expect(lean.recomputed).toBe(Object.values(run.emergence).reduce((s, e) => s + Object.keys(e).length, 0) + 3 * wilsonCells);
    vi.doUnmock('../../../src/lib/share/limits.ts');
    vi.resetModules();
  });
});
