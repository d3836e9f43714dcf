/**
 * On WebGPU the engine reduces logits on the GPU (src/lib/engine/device-scoring.ts): what its
 * worker reads back from the GPU while scoring is per-position log-probs and argmax ids, never
 * logits. Measured, not trusted: every GPU-to-CPU read in WebGPU maps a buffer for reading, so
 * the test wraps GPUBuffer.prototype.mapAsync inside the engine's worker and records each read's
 * size while items are scored on a random model with GPT-2's vocabulary (50,257 outputs: one
 * position's logits are 201 KB), served to the page from a temporary folder. The same items on
 * WASM (logits read on the CPU) give the same greedy outputs and log-probs within 2e-3 (the
 * golden tolerance on WebGPU: float32 reductions on the GPU against float64 in JavaScript).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import type { Page, Worker } from 'playwright-core';
import { writeRandomModel } from '../../bench/random-model.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';

const VOCAB = 50257;
const dir = mkdtempSync(join(tmpdir(), 'emergence-readback-'));
writeRandomModel(join(dir, 'gpt2-vocab'), { vocab: VOCAB, layers: 2, embd: 64, heads: 4, positions: 256 });
const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3], perVariant: 4, seed: 11, kShot: 0, template: 'arith-plain' });

let chrome: LaunchedBrowser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: true });
  page = await (await chrome.newContext()).newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  // The worker fetches the model from the app's models/ folder: answer those requests from disk.
  await page.route('**/models/rand/gpt2-vocab/**', async (route) => {
    const rel = new URL(route.request().url()).pathname.split('/models/rand/gpt2-vocab/')[1];
    try {
      await route.fulfill({ status: 200, body: readFileSync(join(dir, 'gpt2-vocab', rel)) });
    } catch {
      await route.fulfill({ status: 404, body: '' });
    }
  });
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => 'emergenceLab' in window);
});

afterAll(async () => {
  await chrome?.close();
  rmSync(dir, { recursive: true, force: true });
});

type Scored = { results: { targetLogprobs: number[]; outputTokenIds: number[] }[]; info: { device: string; scoresOnDevice?: boolean } };

const score = (device: 'webgpu' | 'wasm'): Promise<Scored> =>
  page.evaluate(
    ([ref, items]) => (window as any).emergenceLab.score(ref, items, { maxBatchSize: 16 }),
    [{ id: 'rand/gpt2-vocab', source: 'bundled', revision: null, dtype: 'fp32', device }, items] as const,
  );

it('reads back log-probs and argmax ids, not logits, and matches the WASM path', async () => {
  // WASM first: it starts the engine's worker, where the GPU reads are then recorded.
  const wasm = await score('wasm');
  expect(wasm.info.device).toBe('wasm');
  const worker: Worker = page.workers()[0];
  expect(worker, 'the engine worker is running').toBeTruthy();
  await worker.evaluate(() => {
    const g = globalThis as unknown as { gpuReads: number[] };
    g.gpuReads = [];
    const map = GPUBuffer.prototype.mapAsync;
    GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, mode: number, offset?: number, size?: number) {
      if (mode & GPUMapMode.READ) g.gpuReads.push(size ?? this.size - (offset ?? 0));
      return map.call(this, mode, offset, size);
    };
  });

  const gpu = await score('webgpu');
  const reads = await worker.evaluate(() => (globalThis as unknown as { gpuReads: number[] }).gpuReads);
  expect(gpu.info.device).toBe('webgpu');
  expect(gpu.info.scoresOnDevice).toBe(true);

  // What came back, against what reading logits would have moved: at least one position's
  // logits per scored call, and every item has at least target + 1 scored positions.
  const oneLogitsRow = VOCAB * 4;
  const scoredPositions = gpu.results.reduce((s, r) => s + r.targetLogprobs.length + 1, 0);
  const total = reads.reduce((a, b) => a + b, 0);
  console.log(`${items.length} items on WebGPU: ${reads.length} GPU reads, ${total} bytes in all, largest ${Math.max(...reads)} bytes; ` + `the logits of the scored positions alone are ${scoredPositions * oneLogitsRow} bytes`);
  expect(reads.length).toBeGreaterThan(0);
  expect(Math.max(...reads)).toBeLessThan(oneLogitsRow / 10);
  expect(total).toBeLessThan(oneLogitsRow);

  let maxDiff = 0;
  gpu.results.forEach((r, i) => {
    expect(r.outputTokenIds, items[i].prompt).toEqual(wasm.results[i].outputTokenIds);
    r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - wasm.results[i].targetLogprobs[j]))));
  });
  expect(maxDiff).toBeLessThan(2e-3);
  expect(errors).toEqual([]);
});
