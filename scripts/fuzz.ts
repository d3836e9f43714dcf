/**
 * npm run fuzz [-- --n 100000 --seed 1]: the untrusted input surfaces at scale, independent of
 * the encoders — share links, run files and task files. Inputs: random text and bytes,
 * truncations, splices and bit flips of real links and files, hostile JSON edits (wrong types,
 * out-of-range and non-finite numbers, -0, 1e308, huge n, deep nesting, __proto__/constructor
 * keys). Every input must end in the surface's typed error or a valid run whose every number is
 * in its metric's range; none may take over 1 s; heap growth is reported. Prints one line per
 * surface; the CI suite runs smaller samples of the same generators (tests/unit/share/*-fuzz,
 * tests/unit/tasks/task-file-fuzz.test.ts).
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { getMetric, isMetricId } from '../src/lib/metrics/registry.ts';
import type { RunResult } from '../src/lib/results/types.ts';
import { decodeShareLink, encodeShareLink, LinkDecodeError, parseRunFile, RunFileError, serializeRunFile } from '../src/lib/share/index.ts';
import { parseTaskFile, TaskFileError } from '../src/lib/tasks/imported/parse.ts';
import { TaskError } from '../src/lib/tasks/errors.ts';
import { encodeBase64url } from '../src/lib/share/base64url.ts';
import { deflateMax } from '../src/lib/share/inflate.ts';
import { LINK_VERSION } from '../src/lib/share/link-format.ts';
import { writePayload } from '../src/lib/share/payload-write.ts';
import { nastyJson } from '../tests/unit/share/nasty-json.ts';
import { syntheticRun } from '../tests/unit/share/synthetic-run.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } } });
const N = Number(values.n);
const SEED = Number(values.seed);
const MAX_MS = 1000;

/** Every aggregate, interval and item metric of an accepted run is within its metric's range. */
function outOfRange(run: { models: RunResult['models'] }): string | null {
  for (const m of run.models) {
    for (const v of m.aggregates.variants) {
      for (const [id, c] of Object.entries(v.metrics)) {
        if (!isMetricId(id)) return `unknown metric ${id}`;
        const { min, max } = getMetric(id).range;
        for (const x of [c.mean, c.lo, c.hi]) if (!Number.isFinite(x) || (min !== null && x < min) || (max !== null && x > max)) return `${id} ${x}`;
        if (!(c.lo <= c.mean && c.mean <= c.hi)) return `${id} interval`;
      }
    }
    for (const item of m.items) for (const [id, x] of Object.entries(item.metrics)) if (!isMetricId(id)) return `unknown item metric ${id}`; else if (x !== null && !Number.isFinite(x)) return `${id} ${x}`;
  }
  return null;
}

interface Tally {
  accepted: number;
  refused: number;
  worstMs: number;
  failures: string[];
}

function runSurface(name: string, arb: fc.Arbitrary<string>, accept: (s: string) => { models: RunResult['models'] } | null, isTyped: (e: unknown) => boolean): void {
  const tally: Tally = { accepted: 0, refused: 0, worstMs: 0, failures: [] };
  const heap0 = process.memoryUsage().heapUsed;
  let heapPeak = heap0;
  const t0 = performance.now();
  fc.assert(
    fc.property(arb, (input) => {
      const t = performance.now();
      try {
        const run = accept(input);
        const bad = run ? outOfRange(run) : null;
        if (bad) tally.failures.push(`accepted out-of-range: ${bad}`);
        tally.accepted++;
      } catch (e) {
        if (isTyped(e)) tally.refused++;
        else tally.failures.push(`untyped: ${e instanceof Error ? `${e.name}: ${e.message.slice(0, 120)}` : String(e)}`);
      }
      const ms = performance.now() - t;
      tally.worstMs = Math.max(tally.worstMs, ms);
      if (ms > MAX_MS) tally.failures.push(`slow: ${ms.toFixed(0)} ms for an input of ${input.length} chars`);
      if (tally.accepted + tally.refused === 1 || (tally.accepted + tally.refused) % 2000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }),
    { numRuns: N, seed: SEED },
  );
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${name.padEnd(11)} ${N.toLocaleString('en-US')} inputs in ${seconds.toFixed(1)} s: ${tally.accepted} valid, ${tally.refused} refused with a typed message, ` +
      `${tally.failures.length} failures; slowest ${tally.worstMs.toFixed(1)} ms; heap growth ≤ ${((heapPeak - heap0) / 2 ** 20).toFixed(0)} MiB`,
  );
  for (const f of [...new Set(tally.failures)].slice(0, 5)) console.log(`  ${f}`);
  if (tally.failures.length > 0) process.exitCode = 1;
}

const mutate = (text: string) =>
  fc.oneof(
    fc.tuple(fc.nat(text.length), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([cut, at, s]) => {
      const t = text.slice(0, cut);
      const i = at % Math.max(1, t.length);
      return t.slice(0, i) + s + t.slice(i + s.length);
    }),
    fc.tuple(fc.nat(text.length - 1), fc.nat(7)).map(([i, bit]) => text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << bit)) + text.slice(i + 1)),
    fc.tuple(fc.nat(text.length), fc.nat(text.length)).map(([a, b]) => text.slice(0, Math.min(a, b)) + text.slice(Math.max(a, b)) + text.slice(Math.min(a, b), Math.max(a, b))),
  );

// ---- Share links ----
const run = syntheticRun({ models: 3, digits: [1, 2], perVariant: 8 });
const links = [encodeShareLink(run).fragment, encodeShareLink(run, { items: false }).fragment];

/**
 * Validly encoded links whose numbers were edited before encoding (what a forger would do with
 * the lab's own encoder, bypassing its self-check): out of range, NaN, ±Infinity, −0, 1e308,
 * huge n. The decoder must refuse the impossible ones.
 */
const FORGED_VALUES = [-1, 2, 1e308, -1e308, Number.NaN, Infinity, -Infinity, -0, 0.5, 1e6];
const forged = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...FORGED_VALUES), fc.constantFrom('mean', 'lo', 'hi', 'n'), fc.boolean()).map(([mi, ci, x, field, items]) => {
  const copy = structuredClone(run);
  const model = copy.models[mi % copy.models.length];
  const cells = model.aggregates.variants.flatMap((v) => Object.values(v.metrics));
  const cell = cells[ci % cells.length] as unknown as Record<string, number>;
  cell[field] = field === 'n' ? (Number.isFinite(x) ? Math.abs(Math.round(x)) : 1e9) : x;
  try {
    const payload = writePayload({ result: copy, precision: items ? 'float32' : 'exact', items: null, version: LINK_VERSION as 1 | 2, recompute: false });
    return `#r${LINK_VERSION}.` + encodeBase64url(deflateMax(payload.bytes));
  } catch {
    return `#r${LINK_VERSION}.`; // a value the writer itself cannot encode
  }
});
runSurface(
  'links',
  fc.oneof(
    { weight: 2, arbitrary: fc.string({ maxLength: 400 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => `#r2.${s}`) },
    { weight: 6, arbitrary: fc.constantFrom(...links).chain(mutate) },
    { weight: 2, arbitrary: forged },
  ),
  (s) => {
    const shared = decodeShareLink(s);
    return { models: shared.models.map((m) => ({ ...m, loadMs: 0, scoreMs: 0, items: [] })) };
  },
  (e) => e instanceof LinkDecodeError,
);

// ---- Run files ----
const fileText = serializeRunFile(syntheticRun({ models: 2, digits: [1], perVariant: 4 }));
runSurface(
  'run files',
  fc.oneof(
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 400 }), fc.json({ maxDepth: 4 })) },
    { weight: 4, arbitrary: nastyJson(JSON.parse(fileText)) },
    { weight: 2, arbitrary: mutate(fileText) },
  ),
  (s) => parseRunFile(s),
  (e) => e instanceof RunFileError,
);

// ---- Task files ----
const bigbench = JSON.stringify({
  name: 'sums',
  task_prefix: 'Add.\n',
  examples: [
    { input: '12+34=', target_scores: { '46': 1, '45': 0, '56': 0 } },
    { input: '7+8=', target: ['15', 'fifteen'] },
    { input: '99+1=', target: '100' },
  ],
});
const jsonl = '{"input": "1+1=", "target": "2"}\n{"input": "2+2=", "target_scores": {"4": 1, "5": 0}}\n';
runSurface(
  'task files',
  fc.oneof(
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 400 }), fc.json({ maxDepth: 4 })) },
    { weight: 4, arbitrary: nastyJson(JSON.parse(bigbench)) },
    { weight: 2, arbitrary: mutate(bigbench) },
    { weight: 1, arbitrary: mutate(jsonl) },
  ),
  (s) => {
    parseTaskFile(s, s.startsWith('{"input"') ? 't.jsonl' : 't.json');
    return null;
  },
  (e) => e instanceof TaskFileError || e instanceof TaskError,
);
