/**
 * The engine in a Web Worker in real Chromium reproduces the bundled ladder's PyTorch golden
 * outputs: log-probs within 1e-4 on WebGPU (SwiftShader without a GPU) and on WASM, both through
 * the scoring head (log-softmax in the runtime, float32; written out on WebGPU); greedy outputs
 * identical on both.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadLadder } from '../../src/cli/node-engine.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { goldenAsItems, loadGolden } from '../helpers/golden.ts';

const ladder = await loadLadder('arith');

function goldenItems(folder: string) {
  const g = loadGolden(folder);
  return { items: goldenAsItems(g.items), golden: g.items, margin: g.greedy_margin };
}

describe.each([
  // WebGPU measured 2026-11-30 (SwiftShader, log-softmax on the device): at most 3.4e-5 on every rung.
  ['webgpu', true, 1e-4],
  ['wasm', false, 1e-4],
] as const)('engine worker on %s', (device, webgpu, tolerance) => {
  let chrome: LaunchedBrowser;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    chrome = await launchChromium({ webgpu });
    page = await (await chrome.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(inject('baseUrl'));
    await page.waitForFunction(() => 'emergenceLab' in window);
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it.each(ladder.models.map((m) => [m.id]))('%s reproduces its golden file', async (folder) => {
    const { items, golden, margin } = goldenItems(folder);
    const { results, info } = await page.evaluate(
      ([ref, items, margin]) => (window as any).emergenceLab.score(ref, items, { greedyMargin: margin, maxBatchSize: 64 }),
      [{ id: `arith/${folder}`, source: 'bundled', revision: null, dtype: 'fp32', device }, items, margin] as const,
    );
    expect(info.device).toBe(device);
    // WebGPU scores on the device (logits stay on the GPU; engine-readback.test.ts measures it).
    expect(info.scoresOnDevice).toBe(webgpu);
    // The scoring head is in the graph (the vocabulary projection only at scored positions).
    expect(info.scoringHead).toBe(true);
    let maxDiff = 0;
    results.forEach((r: { targetLogprobs: number[]; outputTokenIds: number[]; outputText: string }, i: number) => {
      r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - golden[i].target_logprobs[j]))));
      expect(r.outputTokenIds, golden[i].prompt).toEqual(golden[i].greedy_token_ids);
      expect(r.outputText).toBe(golden[i].greedy_text);
    });
    console.log(`${folder} on ${device}: max |log-prob - PyTorch| = ${maxDiff.toExponential(2)}`);
    expect(maxDiff).toBeLessThan(tolerance);
    expect(errors).toEqual([]);
  });
});
