/**
 * The training-compute ladder (static/models/arith-steps) in the built app, on WASM: the page
 * serves its manifest, and every checkpoint loads in the engine worker and reproduces its PyTorch
 * golden file (log-probs within 1e-4, greedy outputs identical), driven through the console API
 * (`window.emergenceLab.score`), the same worker path a lab run uses. Then the visitor's path:
 * pick "Training checkpoints" in the form, run one model's checkpoints, see training compute on
 * the x axis; the run's link, file and saved record open on the same ladder and axis.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { loadLadder } from '../../src/cli/node-engine.ts';
import { bundledLadderUrl, defaultSpec, modelsByScale, parseLadderManifest, scaleOf, trainingRuns } from '../../src/lib/catalog/ladder.ts';
import type { RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { goldenAsItems, loadGolden } from '../helpers/golden.ts';
import { chartRows, exportJson, openLab, SCREENSHOTS, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

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

describe('picking the checkpoint ladder in the form (WASM)', () => {
  let chrome: LaunchedBrowser;
  let page: Page;
  let errors: string[];
  let exported: RunResult;
  let link: string;
  const [small, large] = trainingRuns(ladder);
  const largeIds = large.models.map((m) => `arith-steps/${m.id}`);

  beforeAll(async () => {
    chrome = await launchChromium({ webgpu: false });
    ({ page, errors } = await openLab(chrome));
  });
  afterAll(async () => {
    await chrome?.close();
  });

  /** The x axis every chart on the page names (from the canvases' accessible labels). */
  async function chartAxes(p: Page): Promise<string[]> {
    return p.$$eval('figure[data-panel] .canvas-box', (els) => [...new Set(els.map((e) => /against (.+?), one line/.exec(e.getAttribute('aria-label') ?? '')?.[1] ?? '?'))]);
  }

  it('switches the form to one model\'s checkpoints and refuses mixing two training runs', async () => {
    expect(await page.getByTestId('bundled-ladder').inputValue()).toBe('arith');
    await page.getByTestId('bundled-ladder').selectOption('arith-steps');
    const checked = await page.$$eval('input[name=model]:checked', (els) => els.map((e) => (e as HTMLInputElement).value));
    expect(checked).toEqual(defaultSpec(ladder, 'wasm').models.map((m) => m.id));
    expect(checked).toEqual(largeIds);
    expect(await page.getByTestId('checkpoint-group').count()).toBe(2);
    // A checkpoint of the other size: refused next to the list, Run disabled.
    await page.locator(`input[name=model][value="arith-steps/${small.models[0].id}"]`).check();
    expect(await page.getByTestId('error-models').textContent()).toMatch(/Choose the checkpoints of one model/);
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
    await page.locator(`[data-testid=checkpoint-group][data-run="${large.run}"] [data-testid=pick-run]`).click();
    expect(await page.getByTestId('error-models').count()).toBe(0);
    expect(await page.locator('input[name=backend]:checked').getAttribute('value')).toBe('wasm');
  });

  it('runs the checkpoints and charts them against training compute, in compute order', async () => {
    await setItemsPerVariant(page, 4);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    exported = JSON.parse((await exportJson(page)).text) as RunResult;
    expect(exported.spec.models.map((m) => m.id)).toEqual(largeIds);
    expect(exported.models.map((m) => m.scale)).toEqual(large.models.map((m) => ({ axis: 'compute', value: m.compute, run: large.run })));
    expect(exported.emergence_measures!['add/3d'].models).toEqual(largeIds);
    expect(await chartAxes(page)).toEqual(['training compute (6·n·d) (log scale)']);
    // Parameters cannot tell checkpoints of one size apart: no other axis is offered.
    expect(await page.getByTestId('x-axis').count()).toBe(0);
    const rows = (await chartRows(page)).filter((r) => r.panel === 'exact_match' && r.variant === 'add/3d');
    expect(rows.map((r) => r.model)).toEqual(largeIds);
    expect(await page.getByTestId('measures-exact_match').textContent()).toMatch(/largest step \d\.\de\d+ FLOPs → \d\.\de\d+ FLOPs/);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'arith-steps-run-1280.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 900 });
    await page.screenshot({ path: join(SCREENSHOTS, 'arith-steps-run-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByTestId('share-link').click();
    link = await page.getByTestId('share-url').inputValue();
    expect(errors).toEqual([]);
  });

  it('a link to the run opens on the checkpoint ladder, with training compute on the x axis', async () => {
    const other = await openLab(chrome);
    await other.page.goto(link);
    await other.page.getByTestId('charts').waitFor();
    expect(await other.page.getByTestId('run-status').getAttribute('data-status')).toBe('viewing');
    expect(await other.page.getByTestId('bundled-ladder').inputValue()).toBe('arith-steps');
    expect(await other.page.$$eval('input[name=model]:checked', (els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(largeIds);
    expect(await chartAxes(other.page)).toEqual(['training compute (6·n·d) (log scale)']);
    const rows = (await chartRows(other.page)).filter((r) => r.panel === 'exact_match' && r.variant === 'add/3d');
    expect(rows.map((r) => r.model)).toEqual(largeIds);
    expect(other.errors).toEqual([]);
    await other.page.context().close();
  });

  it('a file without ladder positions (older format) and the saved run open with training compute too', async () => {
    // A fresh page of the same browser context: the form is on the size ladder; the saved run is listed.
    const fresh = await page.context().newPage();
    const freshErrors: string[] = [];
    fresh.on('pageerror', (e) => freshErrors.push(e.message));
    await fresh.goto(inject('baseUrl'));
    await fresh.waitForFunction(() => document.querySelector<HTMLButtonElement>('[data-testid=run]')?.disabled === false);
    expect(await fresh.getByTestId('bundled-ladder').inputValue()).toBe('arith');
    const old = { ...exported, models: exported.models.map(({ scale: _scale, ...m }) => m) };
    await fresh.getByTestId('import-file').setInputFiles({ name: 'steps-run.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(old)) });
    await fresh.getByTestId('charts').waitFor();
    expect(await chartAxes(fresh)).toEqual(['training compute (6·n·d) (log scale)']);
    expect((await chartRows(fresh)).filter((r) => r.panel === 'exact_match' && r.variant === 'add/3d').map((r) => r.model)).toEqual(largeIds);
    await fresh.locator('[data-testid=saved-run][data-status=done][data-source=run] [data-testid=saved-open]').click();
    await fresh.waitForFunction(() => document.querySelector('[data-testid=origin-panel]')?.getAttribute('data-origin') === 'saved');
    expect(await chartAxes(fresh)).toEqual(['training compute (6·n·d) (log scale)']);
    expect((await chartRows(fresh)).filter((r) => r.panel === 'exact_match' && r.variant === 'add/3d').map((r) => r.model)).toEqual(largeIds);
    expect(freshErrors).toEqual([]);
    await fresh.close();
  });
});
