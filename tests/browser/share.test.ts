/**
 * Share links, saved runs and imports in the built app (headless Chromium, WASM backend):
 * run → share link → a fresh browser context shows identical charts and tables without loading
 * any model → "Re-run here" gives identical aggregates; a page closed mid-run resumes to the
 * uninterrupted run's results; an exported JSON imports back; bad links and files leave the
 * page working and saved runs untouched; untrusted text stays text.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { encodeShareLink } from '../../src/lib/share/index.ts';
import type { ModelRun, RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chartRows, chooseModels, exportJson, SCREENSHOTS, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

const MODELS = ['arith-l1-d12', 'arith-l2-d48', 'arith-l4-d128'];

let chrome: LaunchedBrowser;

interface Opened {
  context: BrowserContext;
  page: Page;
  errors: string[];
  /** URLs of model files (ONNX, tokenizer, config) the page requested. */
  modelRequests: string[];
}

async function open(url: string, context?: BrowserContext, width = 1280): Promise<Opened> {
  const ctx = context ?? (await chrome.browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true }));
  const page = await ctx.newPage();
  page.setDefaultTimeout(120_000);
  const errors: string[] = [];
  const modelRequests: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  // Requests from the engine worker are seen on the context.
  ctx.on('request', (r) => {
    if (/\/models\/arith\/arith-[^/]+\//.test(r.url())) modelRequests.push(r.url());
  });
  await page.goto(url);
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
  return { context: ctx, page, errors, modelRequests };
}

async function savedCount(page: Page): Promise<number> {
  return page.getByTestId('saved-run').count();
}

async function setupSpec(page: Page, perVariant: number, digits?: number[]): Promise<void> {
  await chooseModels(page, MODELS);
  await setItemsPerVariant(page, perVariant);
  if (digits) {
    for (const box of await page.locator('input[name=digits]').all()) await box.setChecked(digits.includes(Number(await box.getAttribute('value'))));
  }
}

/** Enough items per model (4 × 400) that the page can be closed in the middle of one. */
const RESUME_PER_VARIANT = 400;
const RESUME_DIGITS = [2, 3, 4, 5];

/** Every chart point on the page equals the run's aggregates, bit for bit; returns how many. */
async function expectChartsOf(page: Page, run: RunResult): Promise<number> {
  const rows = await chartRows(page);
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    const agg = run.models.find((m) => m.id === r.model)!.aggregates.variants.find((v) => v.variant === r.variant)!.metrics[r.metric];
    expect([r.mean, r.lo, r.hi, r.n], `${r.panel} ${r.model} ${r.variant} ${r.metric}`).toEqual([agg.mean, agg.lo, agg.hi, agg.n]);
  }
  return rows.length;
}

/** Items saved in IndexedDB so far (finished models' and saved batches'), read directly. */
function savedItemCount(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const req = indexedDB.open('emergence-lab');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const tx = req.result.transaction(['models', 'batches']);
          const models = tx.objectStore('models').getAll();
          const batches = tx.objectStore('batches').getAll();
          tx.oncomplete = () => {
            // Distinct (model, item) pairs: a batch flushed as the page closes may repeat items its
            // model's record already holds (the store keeps the later copy of an item).
            const seen = new Set<string>();
            for (const r of models.result as { model: { id: string; items: { id: string }[] } }[]) for (const it of r.model.items) seen.add(`${r.model.id}|${it.id}`);
            for (const r of batches.result as { modelId: string; items: { id: string }[] }[]) for (const it of r.items) seen.add(`${r.modelId}|${it.id}`);
            resolve(seen.size);
            req.result.close();
          };
        };
      }),
  );
}

/** Results without what legitimately differs between two runs of one spec (timings, dates, runtime). */
function comparable(r: RunResult) {
  return {
    spec: r.spec,
    models: r.models.map((m: ModelRun) => ({ ...m, loadMs: 0, scoreMs: 0 })),
    emergence: r.emergence,
    emergence_measures: r.emergence_measures,
    intervals: r.intervals,
  };
}

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await chrome?.close();
});

describe('share links, saved runs, import (WASM)', () => {
  let original: RunResult;
  let originalJson: string;
  let link: string;
  /** Text of the sender's chart data tables. */
  let senderTables: (string | null)[];
  /** Text of the sender's emergence measures under the charts. */
  let senderMeasures: (string | null)[];
  let senderMeasureIds: (string | null)[];

  it('runs, saves the run, and makes a link that carries items', async () => {
    const { page, errors } = await open(inject('baseUrl'));
    await setupSpec(page, 40);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    ({ text: originalJson } = await exportJson(page));
    original = JSON.parse(originalJson) as RunResult;
    senderTables = await page.$$eval('figure[data-panel] table', (ts) => ts.map((t) => t.textContent));
    senderMeasures = await page.$$eval('[data-testid^=measures-]', (ms) => ms.map((m) => m.textContent));
    senderMeasureIds = await page.$$eval('[data-testid^=measures-]', (ms) => ms.map((m) => m.getAttribute('data-testid')));
    expect(senderMeasures.length).toBeGreaterThan(0);
    expect(senderTables.length).toBeGreaterThan(0);
    // Saved as it ran: one finished record.
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-run][data-status=done]') !== null);
    expect(await savedCount(page)).toBe(1);
    await page.getByTestId('share-link').click();
    link = await page.getByTestId('share-url').inputValue();
    const info = page.getByTestId('share-info');
    expect(await info.getAttribute('data-items')).toBe('true');
    expect(link.length).toBeLessThanOrEqual(8000);
    expect(link.startsWith(inject('baseUrl'))).toBe(true);
    expect(new URL(link).hash.startsWith('#r')).toBe(true);
    // CSV: a header and one row per model × item.
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
    const lines = readFileSync(await csv.path(), 'utf8').trim().split(/\r?\n/);
    expect(lines.length).toBe(1 + original.models.reduce((s, m) => s + m.items.length, 0));
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('opens the link in a fresh context: identical charts and tables, environment shown, nothing downloaded', async () => {
    const { page, errors, modelRequests, context } = await open(link);
    await page.getByTestId('origin-panel').waitFor();
    expect(await page.getByTestId('origin-panel').getAttribute('data-origin')).toBe('link');
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('viewing');
    expect(await page.getByTestId('origin-backend').textContent()).toContain('WASM');
    expect(await page.getByTestId('origin-runtime').textContent()).toMatch(/Chrome/);
    await page.getByTestId('charts').waitFor();
    // Every chart point equals the sender's aggregates, bit for bit.
    await expectChartsOf(page, original);
    // The accessible tables read the same as on the sender's page (same numbers, same text).
    expect(await page.$$eval('figure[data-panel] table', (ts) => ts.map((t) => t.textContent))).toEqual(senderTables);
    // The link (r3) carries the emergence measures, or (when they do not fit beside the items) the
    // page recomputes them from the link's items: exact-match measures are then the sender's, and
    // log-prob metrics carry the items' rounding (1/256 nat), as their per-item values do.
    const measures = await page.$$eval('[data-testid^=measures-]', (ms) => ms.map((m) => [m.getAttribute('data-testid'), m.textContent]));
    expect(measures.map(([id]) => id)).toEqual(senderMeasureIds);
    expect(measures.find(([id]) => id === 'measures-exact_match')?.[1]).toBe(senderMeasures[senderMeasureIds.indexOf('measures-exact_match')]);
    for (const [, text] of measures) expect(text).not.toMatch(/1\.0e\+6|1000000|NaN/);
    // The consent list names every model; no model file was requested.
    const listed = await page.$$eval('[data-testid=rerun-downloads] tr[data-model]', (trs) => trs.map((t) => t.getAttribute('data-model')));
    expect(listed).toEqual(original.spec.models.map((m) => m.id));
    expect(modelRequests).toEqual([]);
    // Files need outputs, which links don't carry: exporting waits for a re-run.
    expect(await page.getByTestId('export-json').isDisabled()).toBe(true);
    // Items from the link: prompts regenerated, outputs marked as absent.
    const firstItem = original.models[0].items[0];
    const row = page.locator(`[data-testid=item-row][data-item="${firstItem.id}"]`);
    expect(await row.locator('td.text').allTextContents()).toEqual([firstItem.prompt, firstItem.target, 'not in link']);
    await page.screenshot({ path: join(SCREENSHOTS, 'share-link-open-1280.png'), fullPage: true });

    // Re-run here on the same backend: identical aggregates, 100% item agreement.
    await page.getByTestId('rerun').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(modelRequests.length).toBeGreaterThan(0);
    await page.getByTestId('compare-summary').waitFor();
    const summary = page.getByTestId('compare-summary');
    expect(Number(await summary.getAttribute('data-agreement'))).toBe(1);
    expect(Number(await summary.getAttribute('data-compared'))).toBe(original.models.reduce((s, m) => s + m.items.length, 0));
    // Nothing differs: the panel says so in one line instead of a table of zeros.
    expect(await page.getByTestId('compare-identical').textContent()).toBe(`All ${original.models.reduce((s, m) => s + m.items.length, 0)} items identical`);
    expect(Number(await summary.getAttribute('data-deltas'))).toBe(0);
    expect(await page.getByTestId('compare-delta').count()).toBe(0);
    expect(await page.getByTestId('differing-items').count()).toBe(0);
    const { text } = await exportJson(page);
    const rerun = JSON.parse(text) as RunResult;
    expect(rerun.models.map((m) => m.aggregates)).toEqual(original.models.map((m) => m.aggregates));
    expect(rerun.emergence).toEqual(original.emergence);
    expect(rerun.emergence_measures).toEqual(original.emergence_measures);
    await page.screenshot({ path: join(SCREENSHOTS, 'share-compare-1280.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a page closed mid-run resumes on reopening, and the result equals the uninterrupted run', async () => {
    const first = await open(inject('baseUrl'));
    await setupSpec(first.page, RESUME_PER_VARIANT, RESUME_DIGITS);
    await first.page.getByTestId('run').click();
    // Close while the last model is being scored. Saving trails scoring a little on these tiny
    // models, so what was saved by then varies; the resumed result must not.
    await first.page.waitForFunction(
      (id) => {
        const r = document.querySelector(`[data-testid=rung][data-model="arith/${id}"]`);
        return r?.getAttribute('data-status') === 'scoring' && Number(r.getAttribute('data-items-done')) > 0;
      },
      MODELS[2],
      { polling: 'raf', timeout: 600_000 },
    );
    await first.page.close();

    const second = await open(inject('baseUrl'), first.context);
    const prompt = second.page.getByTestId('resume-prompt');
    await prompt.waitFor();
    expect(await second.page.locator('[data-testid=saved-run][data-status=interrupted]').count()).toBe(1);
    // Some of the run was saved before the page closed: on a fast machine every item may be
    // (saves keep up with scoring), yet the record was not finished, so it is interrupted.
    const saved = await savedItemCount(second.page);
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThanOrEqual(MODELS.length * RESUME_PER_VARIANT * RESUME_DIGITS.length);
    await second.page.getByTestId('resume-run').click();
    expect(await waitForRunEnd(second.page)).toBe('done');
    const resumed = JSON.parse((await exportJson(second.page)).text) as RunResult;
    await second.page.waitForFunction(() => document.querySelector('[data-testid=saved-run][data-status=interrupted]') === null);
    expect(second.errors).toEqual([]);

    // The same spec run without interruption, in a fresh context.
    const third = await open(inject('baseUrl'));
    await setupSpec(third.page, RESUME_PER_VARIANT, RESUME_DIGITS);
    await third.page.getByTestId('run').click();
    expect(await waitForRunEnd(third.page)).toBe('done');
    const uninterrupted = JSON.parse((await exportJson(third.page)).text) as RunResult;
    expect(comparable(resumed)).toEqual(comparable(uninterrupted));
    await first.context.close();
    await third.context.close();
  }, 900_000);

  it('imports an exported JSON: the view is restored and the run is saved', async () => {
    const { page, errors, context } = await open(inject('baseUrl'));
    await page.getByTestId('import-file').setInputFiles({ name: 'shared-run.json', mimeType: 'application/json', buffer: Buffer.from(originalJson) });
    await page.getByTestId('origin-panel').waitFor();
    expect(await page.getByTestId('origin-panel').getAttribute('data-origin')).toBe('file');
    await expectChartsOf(page, original);
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-run][data-source=import]') !== null);
    // The item explorer has the file's outputs.
    const outputs = await page.$$eval('[data-testid=item-row] td.output', (tds) => tds.slice(0, 5).map((t) => t.textContent));
    expect(outputs.some((t) => t !== 'not in link')).toBe(true);
    // Exporting again gives the same run (keys may come in another order).
    expect(JSON.parse((await exportJson(page)).text)).toEqual(original);

    // History: rename, then delete (with confirmation), storage shown.
    await page.getByTestId('saved-rename').first().click();
    await page.getByTestId('rename-input').fill('My <b>imported</b> run');
    await page.getByTestId('rename-input').press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-name]')?.textContent === 'My <b>imported</b> run');
    expect(await page.locator('[data-testid=saved-name] b').count()).toBe(0);
    expect(await page.getByTestId('storage-used').textContent()).toMatch(/Saved runs use \d/);
    await page.getByTestId('saved-delete').first().click();
    await page.getByTestId('saved-delete-confirm').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=saved-run]').length === 0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('bad links and files: a clear message, the app keeps working, saved runs untouched', async () => {
    const { page, errors, context, modelRequests } = await open(inject('baseUrl'));
    // One saved run to protect.
    await page.getByTestId('import-file').setInputFiles({ name: 'ok.json', mimeType: 'application/json', buffer: Buffer.from(originalJson) });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=saved-run]').length === 1);
    const fragment = new URL(link).hash;
    const body = fragment.slice(fragment.indexOf('.') + 1);
    const flipped = body.slice(0, 100) + (body[100] === 'A' ? 'B' : 'A') + body.slice(101);
    const badLinks: [string, RegExp][] = [
      ['#r1.this-is-not-base64!!', /cannot be opened/],
      [fragment.slice(0, Math.floor(fragment.length / 2)), /cannot be opened/],
      [fragment.slice(0, fragment.indexOf('.') + 1) + flipped, /cannot be opened/],
      ['#r1.' + 'A'.repeat(20_000), /cannot be opened/],
      ['#r9.' + body, /newer|version/i],
      ['#rubbish', /cannot be opened/],
    ];
    for (const [hash, pattern] of badLinks) {
      await page.evaluate((h) => (location.hash = h), hash);
      const notice = page.getByTestId('notice');
      await notice.waitFor();
      expect(await notice.getAttribute('data-tone')).toBe('error');
      expect(await notice.textContent(), hash.slice(0, 40)).toMatch(pattern);
      expect(await savedCount(page)).toBe(1);
      expect(await page.getByTestId('run').isDisabled()).toBe(false);
      await page.getByTestId('notice-dismiss').click();
    }
    const badFiles: [string, string, RegExp][] = [
      ['empty.json', '', /cannot be imported/],
      ['notjson.json', '{"format": "emergence-lab/run", "version": 1,', /cannot be imported/],
      ['other.json', '{"hello": "world"}', /cannot be imported/],
      ['future.json', originalJson.replace('"version": 1', '"version": 99'), /newer|version/i],
      ['tampered.json', originalJson.replace(/"exact_match": 1/, '"exact_match": 7'), /cannot be imported/],
    ];
    for (const [name, text, pattern] of badFiles) {
      await page.getByTestId('import-file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
      const notice = page.getByTestId('notice');
      await notice.waitFor();
      expect(await notice.textContent(), name).toMatch(pattern);
      expect(await savedCount(page)).toBe(1);
      await page.getByTestId('notice-dismiss').click();
    }
    expect(modelRequests).toEqual([]);
    // Still fully working: a small run goes through.
    await chooseModels(page, [MODELS[0]]);
    await setItemsPerVariant(page, 5);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=saved-run]').length === 2);
    // Opening the saved import from the history shows it again, labelled as a saved run.
    await page.locator('[data-testid=saved-run][data-source=import] [data-testid=saved-open]').click();
    await page.getByTestId('origin-panel').waitFor();
    expect(await page.getByTestId('origin-panel').getAttribute('data-origin')).toBe('saved');
    await expectChartsOf(page, original);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('untrusted text from a link is rendered as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const tampered: RunResult = { ...original, env: { ...original.env, runtime: hostile } };
    const fragment = encodeShareLink(tampered, { baseUrl: inject('baseUrl') }).fragment;
    const { page, errors, context } = await open(inject('baseUrl') + fragment, undefined, 390);
    await page.getByTestId('origin-panel').waitFor();
    expect(await page.getByTestId('origin-runtime').textContent()).toContain('<img src=x');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid=origin-panel] img').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'share-link-open-390.png') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
