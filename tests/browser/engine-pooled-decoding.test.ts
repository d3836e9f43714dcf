/**
 * Greedy decoding pooled across batches on WebGPU: the rows of several batches that must go on
 * decoding are joined into one cache on the GPU (device-graphs.ts cacheJoinGraph) and decode in
 * the same calls, as they do on the CPU. Counted, not trusted: every GPU-to-CPU read maps a
 * buffer, so the test wraps GPUBuffer.prototype.mapAsync in the engine's worker and counts the
 * reads of each run (a fixed number per run, and as many per model call). 64 items of one token
 * length (3-digit sums), so that the planner's batches are known: one batch of 64, or four of
 * 16. With the caches joined, the four-batch run reads
 * exactly what three more teacher-forced calls read beyond the one-batch run (its decoding calls
 * are the same); each batch decoding alone would add at least one decoding call per batch.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Page, Worker } from 'playwright-core';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';

// A rung that gets a few of these sums wrong, in more than one of the four batches of 16 (the
// test checks that it does on this backend before counting).
const MODEL = { id: 'arith/arith-l2-d56', source: 'bundled', revision: null, dtype: 'fp32', device: 'webgpu' } as const;

/** n additions of two 3-digit numbers with a 3-digit sum: every prompt 8 tokens, every target 3 + the end token. */
function sums(seed: number, n: number): GenerationItem[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: GenerationItem[] = [];
  while (out.length < n) {
    const a = 100 + Math.floor(next() * 900);
    const b = 100 + Math.floor(next() * 900);
    if (a + b >= 1000) continue;
    out.push({ kind: 'generation', id: `s${out.length}`, variant: 'add/3d', prompt: `${a}+${b}=`, target: String(a + b), endToken: true, stop: ['\n'], meta: { operation: 'add', digits: 3, a, b } });
  }
  return out;
}

let chrome: LaunchedBrowser;
let page: Page;
let worker: Worker;
const errors: string[] = [];
const warnings: string[] = [];

type Scored = { results: { targetLogprobs: number[]; outputTokenIds: number[]; generated: boolean }[]; info: { device: string } };

const score = (items: GenerationItem[], maxBatchSize: number): Promise<Scored> =>
  page.evaluate(([ref, items, maxBatchSize]) => (window as any).emergenceLab.score(ref, items, { maxBatchSize }), [MODEL, items, maxBatchSize] as const);

/** Score, counting the GPU reads (mapAsync for reading) the engine's worker makes meanwhile. */
async function counted(items: GenerationItem[], maxBatchSize: number): Promise<{ scored: Scored; reads: number }> {
  await worker.evaluate(() => ((globalThis as unknown as { gpuReads: number }).gpuReads = 0));
  const scored = await score(items, maxBatchSize);
  const reads = await worker.evaluate(() => (globalThis as unknown as { gpuReads: number }).gpuReads);
  return { scored, reads };
}

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
  page = await (await chrome.newContext()).newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => 'emergenceLab' in window);
  // A first run starts the worker and loads the model (its load-time probe reads too).
  await score(sums(5, 4), 64);
  worker = page.workers()[0];
  await worker.evaluate(() => {
    const g = globalThis as unknown as { gpuReads: number };
    g.gpuReads = 0;
    const map = GPUBuffer.prototype.mapAsync;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode: number, offset?: number, size?: number) {
      if (mode & GPUMapMode.READ) g.gpuReads++;
      return map.call(this, mode, offset, size);
    };
  });
});

afterAll(async () => {
  await chrome?.close();
});

it('decodes the undecided rows of four batches in the calls one batch of them takes', async () => {
  const items = sums(2, 64);
  const one = await counted(items, 64);
  expect(one.scored.info.device).toBe('webgpu');
  const generated = one.scored.results.map((r, i) => (r.generated ? i : -1)).filter((i) => i >= 0);
  // The premise: a few rows decode, from more than one of the four batches of 16 (batches are
  // the items in order: equal lengths, and the planner's sort is stable).
  expect(generated.length).toBeGreaterThan(0);
  expect(generated.length).toBeLessThan(16);
  expect(new Set(generated.map((i) => Math.floor(i / 16))).size).toBeGreaterThan(1);

  // What a teacher-forced call reads: the items that need no decoding, in one batch and in four
  // (a run also reads a fixed amount besides its calls, hence the difference).
  const passing = items.filter((_, i) => !generated.includes(i));
  const forcedOne = await counted(passing, 64);
  const forcedFour = await counted(passing, 16);
  expect([...forcedOne.scored.results, ...forcedFour.scored.results].every((r) => !r.generated)).toBe(true);
  const perCall = (forcedFour.reads - forcedOne.reads) / 3;

  const four = await counted(items, 16);
  console.log(
    `${items.length} items, ${generated.length} decoded (batches ${[...new Set(generated.map((i) => Math.floor(i / 16)))].join(', ')} of 16): ` +
      `GPU reads in one batch ${one.reads}, in four ${four.reads}; without decoding ${forcedOne.reads} and ${forcedFour.reads} (${perCall} per call)`,
  );
  expect(perCall).toBeGreaterThan(0);
  expect(four.reads - one.reads).toBe(3 * perCall);

  // Same answers whichever way the rows were batched.
  four.scored.results.forEach((r, i) => {
    expect(r.outputTokenIds, items[i].prompt).toEqual(one.scored.results[i].outputTokenIds);
    r.targetLogprobs.forEach((lp, j) => expect(Math.abs(lp - one.scored.results[i].targetLogprobs[j])).toBeLessThan(1e-4));
  });
  expect(warnings.filter((w) => /cach/i.test(w))).toEqual([]);
  expect(errors).toEqual([]);
});
