/**
 * Reference results at first paint (issue 13): the page shows the default experiment's results
 * computed in Node (static/reference/default-run.json) before any click and without requesting a
 * single model file; a run on WASM replaces them model by model and says how many items agree.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Page } from 'playwright-core';
import { REFERENCE_PATH } from '../../scripts/reference.ts';
import type { GenerationItemRecord, RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chartRows, SCREENSHOTS, waitForRunEnd } from '../helpers/lab-page.ts';

const reference = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as RunResult;
const POLL = { timeout: 60_000, interval: 100 };
const LABEL = /^Reference run \(Node, ONNX Runtime CPU, \d{4}-\d{2}-\d{2}\) — press Run to reproduce on your device$/;

describe('reference results at first paint', () => {
  let chrome: LaunchedBrowser;
  let page: Page;
  const errors: string[] = [];
  /** Every model file the page asked for, in order. */
  const onnxRequests: string[] = [];

  beforeAll(async () => {
    // WebGPU on (SwiftShader here): the page decides the backend as it would for a visitor.
    chrome = await launchChromium({ webgpu: true });
    const context = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(120_000);
    page.on('request', (r) => {
      if (/\.onnx(_data)?($|\?)/.test(new URL(r.url()).pathname)) onnxRequests.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(inject('baseUrl'));
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('shows the reference charts before any click, labelled, with no request for any .onnx file', async () => {
    const t0 = Date.now();
    await page.getByTestId('charts').waitFor({ state: 'visible' });
    const shownMs = Date.now() - t0;
    expect(await page.getByTestId('reference-banner').getAttribute('data-state')).toBe('reference');
    expect((await page.getByTestId('reference-label').textContent())?.trim()).toMatch(LABEL);
    // Every exact-match point is the reference's aggregate, for every model and variant.
    const rows = (await chartRows(page)).filter((r) => r.panel === 'exact_match');
    expect(rows).toHaveLength(reference.models.length * 5);
    for (const r of rows) {
      const agg = reference.models.find((m) => m.id === r.model)!.aggregates.variants.find((v) => v.variant === r.variant)!.metrics.exact_match;
      expect([r.mean, r.lo, r.hi, r.n]).toEqual([agg.mean, agg.lo, agg.hi, agg.n]);
    }
    // The form is unlocked and holds the default experiment; Run is ready.
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=run]')?.disabled);
    expect(await page.getByTestId('form-slot').evaluate((f) => (f as HTMLFieldSetElement).disabled)).toBe(false);
    expect(await page.locator('input[name=model]:checked').count()).toBe(reference.spec.models.length);
    expect(await page.inputValue('#f-per-variant')).toBe(String(reference.spec.task.perVariant));
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('ready');
    expect(onnxRequests).toEqual([]);
    console.log(`[reference] charts visible ${shownMs} ms after navigation`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'reference-1440.png'), fullPage: false });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('reference-banner').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'reference-390.png'), fullPage: false });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(errors).toEqual([]);
  });

  it('the item explorer opens the reference items, outputs included', async () => {
    const model = reference.models[2];
    const variant = 'add/3d';
    const figure = page.locator('figure[data-panel=exact_match]');
    await figure.locator('details > summary').click();
    await figure.locator(`tr[data-model="${model.id}"][data-variant="${variant}"]`).getByRole('button').click();
    const summary = page.getByTestId('explorer-summary');
    await expect.poll(() => summary.getAttribute('data-model'), POLL).toBe(model.id);
    const items = (model.items as GenerationItemRecord[]).filter((i) => i.variant === variant);
    expect(Number(await summary.getAttribute('data-count'))).toBe(items.length);
    const cells = await page.getByTestId('item-row').first().locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual([items[0].id, items[0].prompt, items[0].target, items[0].output_text === '' ? '(empty)' : items[0].output_text]);
    expect(onnxRequests).toEqual([]);
  });

  it('a run on WASM replaces the reference model by model and reports its agreement with it', async () => {
    await page.locator('input[name=backend][value=wasm]').check();
    // Record what the banner says at every change while the run goes (the run is quick on WASM).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __bannerStates: string[] }).__bannerStates = seen;
      const note = () => {
        const b = document.querySelector('[data-testid=reference-banner]');
        const pending = document.querySelector('[data-testid=reference-pending]')?.getAttribute('data-count');
        const s = b ? `${b.getAttribute('data-state')}${pending ? `:${pending}` : ''}` : 'none';
        if (seen[seen.length - 1] !== s) seen.push(s);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
      note();
    });
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    const states = await page.evaluate(() => (window as unknown as { __bannerStates: string[] }).__bannerStates);
    console.log(`[reference] banner states during the run: ${states.join(' → ')}`);
    // While the run went, reference models stood in for the ones not yet run, fewer and fewer.
    const pendingCounts = states.filter((s) => s.startsWith('replacing:')).map((s) => Number(s.split(':')[1]));
    expect(pendingCounts[0]).toBe(reference.models.length);
    expect(pendingCounts.every((n, i) => i === 0 || n < pendingCounts[i - 1])).toBe(true);
    expect(states[states.length - 1]).toBe('agreement');
    // Model files were requested only now, on the visitor's Run: those of the experiment's models.
    const requested = new Set(onnxRequests.map((u) => /\/models\/(arith\/[^/]+)\/onnx\//.exec(new URL(u).pathname)?.[1] ?? u));
    expect([...requested].sort()).toEqual(reference.models.map((m) => m.id).sort());

    const banner = page.getByTestId('reference-banner');
    const agree = Number(await banner.getAttribute('data-agree'));
    const compared = Number(await banner.getAttribute('data-compared'));
    const diff = Number(await banner.getAttribute('data-max-logprob-diff'));
    const text = (await page.getByTestId('reference-agreement').textContent())?.trim() ?? '';
    console.log(`[reference] ${text}`);
    expect(compared).toBe(reference.models.length * 200);
    // WASM (onnxruntime-web) and Node CPU (onnxruntime-node) give the same greedy output on every item.
    expect(agree).toBe(compared);
    expect(text).toMatch(new RegExp(`^Your run vs the reference \\(Node, ONNX Runtime CPU, \\d{4}-\\d{2}-\\d{2}\\): ${compared} of ${compared} items agree with the reference \\(same greedy output\\); largest log-prob difference \\S+ nats\\.$`));
    // Float kernels differ a little; the lab's own WASM-vs-Node check allows 1e-4 per token.
    expect(diff).toBeLessThan(1e-4);
    // The charts now hold the visitor's run: every point is of a model that ran here.
    const rows = (await chartRows(page)).filter((r) => r.panel === 'exact_match');
    expect(rows).toHaveLength(reference.models.length * 5);
    await page.getByTestId('reference-banner').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'reference-agreement-1440.png'), fullPage: false });
    expect(errors).toEqual([]);
  });
});
