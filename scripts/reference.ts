/**
 * npm run reference [-- --date 2026-11-29] [--out static/reference/default-run.json] [--check]
 *
 * Runs the lab's default experiment — exactly defaultSpec(ladder, 'wasm') for the bundled
 * ladder, the spec a visitor's page opens with — with the project's own engine in Node
 * (onnxruntime-node on the CPU, the path of `npm run eval`), and writes the full RunResult
 * (items included, so the item explorer works) to static/reference/default-run.json. The page
 * shows it at first paint, before the visitor has downloaded a single model.
 *
 * Deterministic: the spec, items, outputs, log-probs, metrics, aggregates and emergence measures
 * depend only on the code and the model files. What does not (REFERENCE_VOLATILE_FIELDS) is
 * pinned or ignored: startedAt/finishedAt are both the recorded date (--date, default: the
 * date of the committed file, else today), and the test that regenerates the file ignores the
 * Node version (env.runtime) and the measured timings (models[].loadMs, scoreMs).
 *
 * The spec says device "wasm" (what the page would run), while the models ran on the CPU here:
 * env.backend is "cpu" and each model's `device` says "cpu", so the file never claims a backend
 * it did not use.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { defaultSpec, paramsOfBundled, type LadderManifest } from '../src/lib/catalog/ladder.ts';
import type { Engine } from '../src/lib/engine/types.ts';
import type { RunResult } from '../src/lib/results/types.ts';
import { runExperiment } from '../src/lib/run/runner.ts';
import { createNodeEngine, loadLadder, nodeEnvironment, REPO_ROOT } from '../src/cli/node-engine.ts';

/** Where the page fetches the reference (relative to the app's base URL; static/ is served at the root). */
export const REFERENCE_URL = 'reference/default-run.json';
export const REFERENCE_PATH = join(REPO_ROOT, 'static', REFERENCE_URL);

/** Fields that may differ between two generations of the same reference (everything else must not). */
export const REFERENCE_VOLATILE_FIELDS = ['env.startedAt', 'env.finishedAt', 'env.runtime', 'models[].loadMs', 'models[].scoreMs'] as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The experiment of the reference: the page's default one, on the device the page defaults to without a real GPU. */
export function referenceSpec(ladder: LadderManifest) {
  return defaultSpec(ladder, 'wasm');
}

/** The Node engine, loading every model on the CPU whatever device the spec names (onnxruntime-node has no "wasm"). */
function cpuEngine(): Engine {
  const engine = createNodeEngine();
  return { load: (ref, options) => engine.load({ ...ref, device: 'cpu' }, options) };
}

/** Run the reference experiment; `date` (YYYY-MM-DD) is recorded as both start and finish. */
export async function buildReference(date: string, onModel?: (line: string) => void): Promise<RunResult> {
  if (!DATE.test(date)) throw new Error(`--date must look like 2026-11-29, got "${date}".`);
  const ladder = await loadLadder('arith');
  const spec = referenceSpec(ladder);
  const at = `${date}T00:00:00.000Z`;
  const result = await runExperiment(spec, cpuEngine(), {
    env: { ...nodeEnvironment(), startedAt: at },
    paramsOf: (ref) => paramsOfBundled(ladder, ref.id),
    onEvent: (e) => {
      if (e.type === 'model-done') onModel?.(`${e.model.id}: ${e.model.status}${e.model.error ? ` (${e.model.error})` : ''}, load ${e.model.loadMs} ms, score ${e.model.scoreMs} ms`);
    },
  });
  const failed = result.models.filter((m) => m.status !== 'done');
  if (failed.length > 0) throw new Error(`The reference run is incomplete: ${failed.map((m) => `${m.id} ${m.status}: ${m.error ?? ''}`).join('; ')}`);
  return { ...result, env: { ...result.env, finishedAt: at }, models: result.models.map((m) => ({ ...m, device: 'cpu' })) };
}

/** The file's text: compact JSON (a third of the indented size) and a final newline. */
export function serializeReference(result: RunResult): string {
  return `${JSON.stringify(result)}\n`;
}

/** The date recorded in a reference file's text, or null. */
export function referenceDate(text: string): string | null {
  try {
    const at = (JSON.parse(text) as { env?: { startedAt?: unknown } }).env?.startedAt;
    return typeof at === 'string' && DATE.test(at.slice(0, 10)) ? at.slice(0, 10) : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { date: { type: 'string' }, out: { type: 'string', default: REFERENCE_PATH }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npm run reference -- [--date YYYY-MM-DD] [--out static/reference/default-run.json]');
    return;
  }
  const out = values.out!;
  const previous = await readFile(out, 'utf8').catch(() => null);
  const date = values.date ?? (previous ? referenceDate(previous) : null) ?? new Date().toISOString().slice(0, 10);
  const t0 = Date.now();
  const result = await buildReference(date, (line) => process.stderr.write(`${line}\n`));
  const text = serializeReference(result);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  const { gzipSync } = await import('node:zlib');
  const gz = gzipSync(text).length;
  console.log(`${out}: ${result.models.length} models x ${result.models[0]?.items.length ?? 0} items, ${(text.length / 1024).toFixed(0)} KB (${(gz / 1024).toFixed(0)} KB gzip), date ${date}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  });
}
