/**
 * The training-compute ladder (static/models/arith-steps) in the built app, on WASM: the page
 * serves its manifest, and every checkpoint loads in the engine worker and reproduces its PyTorch
 * golden file (log-probs within 1e-4, greedy outputs identical).
 *
 * The lab's form has no ladder choice yet, so the checkpoints are driven through the console API
 * (`window.emergenceLab.score`), the same worker path a lab run uses.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadLadder } from '../../src/cli/node-engine.ts';
import { bundledLadderUrl, modelsByScale, parseLadderManifest, scaleOf } from '../../src/lib/catalog/ladder.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { goldenAsItems, loadGolden } from '../helpers/golden.ts';

const ladder = await loadLadder('arith-steps');

describe('the arith-steps ladder on WASM in the built app', () => {
  let chrome: LaunchedBrowser;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    chrome = await launchChromium({ webgpu: false });
    page = await (await chrome.newContext()).newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(inject('baseUrl'));
    await page.waitForFunction(() => 'emergenceLab' in window);
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('serves a manifest whose x axis is training compute, checkpoints ordered by compute', async () => {
    const served = await page.evaluate(async (url) => (await fetch(url)).json(), bundledLadderUrl('arith-steps'));
    const manifest = parseLadderManifest(served);
    expect(manifest).toEqual(ladder);
    expect(manifest.axis).toBe('compute');
    const xs = modelsByScale(manifest).map((m) => scaleOf(manifest, m));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(manifest.models.map((m) => m.trainSteps)).size).toBeGreaterThanOrEqual(8);
  });

  it.each(ladder.models.map((m) => [m.id]))('%s reproduces its golden file', async (folder) => {
    const g = loadGolden(folder, 'arith-steps');
    const items = goldenAsItems(g.items);
    const { results, info } = await page.evaluate(
      ([ref, items, margin]) => (window as any).emergenceLab.score(ref, items, { greedyMargin: margin, maxBatchSize: 64 }),
      [{ id: `arith-steps/${folder}`, source: 'bundled', revision: null, dtype: 'fp32', device: 'wasm' }, items, g.greedy_margin] as const,
    );
    expect(info.device).toBe('wasm');
    expect(results).toHaveLength(g.items.length);
    let maxDiff = 0;
    results.forEach((r: { targetLogprobs: number[]; outputTokenIds: number[]; outputText: string }, i: number) => {
      r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - g.items[i].target_logprobs[j]))));
      expect(r.outputTokenIds, g.items[i].prompt).toEqual(g.items[i].greedy_token_ids);
      expect(r.outputText).toBe(g.items[i].greedy_text);
    });
    expect(maxDiff).toBeLessThan(1e-4);
    expect(errors).toEqual([]);
  });
});
