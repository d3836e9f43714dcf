/**
 * The engine in a Web Worker in real Chromium reproduces the bundled ladder's PyTorch golden
 * outputs: on WebGPU (SwiftShader without a GPU) log-probs within 2e-3, on WASM within 1e-4;
 * greedy outputs identical on both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadLadder, MODELS_DIR } from '../../src/cli/node-engine.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';

interface GoldenItem { prompt: string; target: string; digits: number; target_token_ids: number[]; target_logprobs: number[]; greedy_token_ids: number[]; greedy_text: string }

const ladder = await loadLadder('arith');

function goldenItems(folder: string): { items: GenerationItem[]; golden: GoldenItem[]; margin: number } {
  const g = JSON.parse(readFileSync(join(MODELS_DIR, 'arith', folder, 'golden.json'), 'utf8')) as { greedy_margin: number; items: GoldenItem[] };
  const items = g.items.map((x, i): GenerationItem => {
    const [a, b] = x.prompt.slice(0, -1).split('+').map(Number);
    return { kind: 'generation', id: `golden-${i}`, variant: `add/${x.digits}d`, prompt: x.prompt, target: x.target, endToken: true, stop: ['\n'], meta: { operation: 'add', digits: x.digits, a, b } };
  });
  return { items, golden: g.items, margin: g.greedy_margin };
}

describe.each([
  ['webgpu', true, 2e-3],
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
    let maxDiff = 0;
    results.forEach((r: { targetLogprobs: number[]; outputTokenIds: number[]; outputText: string }, i: number) => {
      r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - golden[i].target_logprobs[j]))));
      expect(r.outputTokenIds, golden[i].prompt).toEqual(golden[i].greedy_token_ids);
      expect(r.outputText).toBe(golden[i].greedy_text);
    });
    expect(maxDiff).toBeLessThan(tolerance);
    expect(errors).toEqual([]);
  });
});
