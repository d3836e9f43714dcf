/**
 * The results view after a run (headless Chromium, WASM): the headline above the panels says
 * what the numbers say (its sentence equals the one built in Node from the exported run); the
 * item explorer shows near misses with a character diff; "Re-run here" on a share link puts the
 * sender's run (dashed) and this device's (solid) on the same charts, with the comparison below
 * them; a chart's PNG is exported at 2× with its legend and footer. Screenshots at 1440 and 390 px.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildHeadline, defaultHeadlineVariant } from '../../src/lib/charts/headline.ts';
import { isNearMiss } from '../../src/lib/charts/items.ts';
import { variantsOf } from '../../src/lib/charts/series.ts';
import type { GenerationItemRecord, RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chooseModels, exportJson, openLab, SCREENSHOTS, setItemsPerVariant, waitForRunEnd, type Watched } from '../helpers/lab-page.ts';

const MODELS = ['arith-l1-d12', 'arith-l2-d32', 'arith-l2-d48', 'arith-l4-d128'];
const POLL = { timeout: 30_000, interval: 100 };

let chrome: LaunchedBrowser;
let lab: Watched;
let run: RunResult;

/** Width and height from a PNG's IHDR chunk (bytes 16–23, big-endian), after checking the signature. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Rows of the image (decoded in the page) that hold non-background pixels, per horizontal band. */
async function inkByBand(page: Page, png: Buffer, bands: number): Promise<number[]> {
  return page.evaluate(
    async ({ b64, bands }) => {
      const bin = atob(b64);
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const c = document.createElement('canvas');
      c.width = bmp.width;
      c.height = bmp.height;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(bmp, 0, 0);
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      const bg = [data[0], data[1], data[2]];
      const out = new Array<number>(bands).fill(0);
      for (let y = 0; y < c.height; y++) {
        let ink = false;
        for (let x = 0; x < c.width && !ink; x++) {
          const i = (y * c.width + x) * 4;
          if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) > 60) ink = true;
        }
        if (ink) out[Math.min(bands - 1, Math.floor((y / c.height) * bands))]++;
      }
      return out;
    },
    { b64: png.toString('base64'), bands },
  );
}

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await chrome?.close();
});

describe('results view: headline, near misses, then/here overlay, PNG export (WASM)', () => {
  it('after a run, the headline above the panels says what the run’s numbers say', async () => {
    lab = await openLab(chrome, 1440);
    const { page } = lab;
    await chooseModels(page, MODELS);
    await setItemsPerVariant(page, 30);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    run = JSON.parse((await exportJson(page)).text) as RunResult;

    const headline = page.getByTestId('headline');
    await headline.waitFor();
    // Above every chart panel.
    const hBox = (await headline.boundingBox())!;
    const firstPanel = (await page.locator('figure[data-panel]').first().boundingBox())!;
    expect(hBox.y + hBox.height).toBeLessThanOrEqual(firstPanel.y);
    // The default variant and the sentence are those Node builds from the exported run.
    const variants = variantsOf(run);
    const variant = defaultHeadlineVariant(run.models, variants)!;
    expect(await headline.getAttribute('data-variant')).toBe(variant);
    expect(await headline.getAttribute('data-source')).toBe('measures');
    const expected = buildHeadline({ models: run.models, variant, task: run.spec.task, measures: run.emergence_measures![variant] });
    expect(await page.getByTestId('headline-sentence').textContent()).toBe(expected.sentence);
    expect(expected.sentence).toMatch(/^On \d-digit addition, exact match /);
    // One chart, three normalised lines, values in [0, 1], one point per drawn model.
    const rows = await page.$$eval('tr[data-testid=headline-point]', (trs) => trs.map((t) => ({ metric: t.getAttribute('data-metric'), mean: Number(t.getAttribute('data-mean')) })));
    const drawn = expected.series.filter((s) => s.points.length > 0);
    expect(rows.length).toBe(drawn.reduce((n, s) => n + s.points.length, 0));
    expect(rows.every((r) => r.mean >= 0 && r.mean <= 1)).toBe(true);
    expect(await page.locator('figure[data-testid=chart-headline] canvas').getAttribute('data-points')).toBe(String(rows.length));
    expect(await page.locator('[data-testid=headline-series]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Token edit distance (inverted)')]));
    // Choosing another variant rewrites the sentence.
    const other = variants.find((v) => v !== variant)!;
    await page.getByTestId('headline-variant').selectOption(other);
    const otherSentence = buildHeadline({ models: run.models, variant: other, task: run.spec.task, measures: run.emergence_measures![other] }).sentence;
    await expect.poll(() => page.getByTestId('headline-sentence').textContent(), POLL).toBe(otherSentence);
    await page.getByTestId('headline-variant').selectOption(variant);
    await page.screenshot({ path: join(SCREENSHOTS, 'results-headline-1440.png'), fullPage: true });
    expect(lab.errors).toEqual([]);
  });

  it('the item explorer lists near misses with a character diff', async () => {
    const { page } = lab;
    // The model with the most near misses (computed in Node from the exported items).
    const counts = run.models.map((m) => ({ id: m.id, near: m.items.filter(isNearMiss) }));
    const best = counts.sort((a, b) => b.near.length - a.near.length)[0];
    expect(best.near.length, 'the run has near misses').toBeGreaterThan(0);
    await page.getByTestId('explorer-model').selectOption(best.id);
    await page.getByTestId('explorer-variant').selectOption('all');
    await page.getByTestId('explorer-correctness').selectOption('near');
    const summary = page.getByTestId('explorer-summary');
    await expect.poll(() => summary.getAttribute('data-count'), POLL).toBe(String(best.near.length));
    const first = best.near[0] as GenerationItemRecord;
    const row = page.locator(`[data-testid=item-row][data-item="${first.id}"]`);
    expect(await row.getAttribute('data-near-miss')).toBe('true');
    expect(await row.getByTestId('near-miss').count()).toBe(1);
    // The output cell's text is the output itself; the differing characters are marked.
    const cell = row.locator('td.output');
    expect(await cell.textContent()).toBe(first.output_text);
    const marks = cell.locator('[data-diff]');
    expect(await marks.count()).toBeGreaterThan(0);
    const mark = marks.first();
    // Not colour alone: underlined, and named for screen readers.
    const look = await mark.evaluate((el) => ({ deco: getComputedStyle(el).textDecorationLine, sr: el.getAttribute('data-sr'), after: getComputedStyle(el, '::after').content, kind: el.getAttribute('data-diff') }));
    expect(look.sr).toMatch(/differs|missing/);
    expect(look.after).toBe(JSON.stringify(look.sr));
    if (look.kind !== 'missing') expect(look.deco).toContain('underline');
    await row.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'results-near-misses-1440.png') });
    expect(lab.errors).toEqual([]);
  });

  it('exports a panel as a PNG at 2× with title, legend, axis titles and footer', async () => {
    const { page } = lab;
    const figure = page.locator('figure[data-panel=exact_match]');
    const box = (await figure.locator('.canvas-box').boundingBox())!;
    const button = figure.getByTestId('export-png');
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe('emergence-exact_match.png');
    const png = readFileSync(await download.path());
    const size = pngSize(png);
    expect(size.width).toBeGreaterThanOrEqual(2 * Math.floor(box.width));
    expect(size.height).toBeGreaterThanOrEqual(2 * Math.floor(box.height));
    expect([Number(await button.getAttribute('data-export-width')), Number(await button.getAttribute('data-export-height'))]).toEqual([size.width, size.height]);
    const lines = JSON.parse((await button.getAttribute('data-export-lines'))!) as string[];
    expect(lines[0]).toBe('Exact match');
    writeFileSync(join(SCREENSHOTS, 'results-export-exact_match.png'), png);
    for (const v of variantsOf(run)) expect(lines).toContain(`solid: ${v.replace(/^add\/(\d)d$/, '$1-digit')}`);
    expect(lines).toContain('x axis: Parameters (log scale)');
    expect(lines).toContain('y axis: Exact match');
    const footer = lines.join(' ');
    expect(footer).toContain(`${MODELS.length} models: arith-l1-d12 (2.4K)`);
    expect(footer).toContain('n = 30 items per variant');
    expect(footer).toContain(`task seed ${run.spec.task.kind === 'arithmetic' ? run.spec.task.seed : ''}`);
    expect(footer).toContain('backend wasm');
    expect(footer).toContain(run.env.finishedAt!.slice(0, 10));
    // Ink in every part of the image: title and legend at the top, the chart, the footer at the bottom.
    const bands = await inkByBand(page, png, 10);
    expect(bands.every((n) => n > 0), `rows with ink per tenth of the image: ${bands}`).toBe(true);
    expect(lab.errors).toEqual([]);
  });

  it('at 390 px the headline comes before the panels and fits the width', async () => {
    const phone = await chrome.browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
    const page = await phone.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(inject('baseUrl'));
    await page.waitForFunction(() => {
      const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
      return b !== null && !b.disabled;
    });
    await page.getByTestId('import-file').setInputFiles({ name: 'run.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(run)) });
    const headline = page.getByTestId('headline');
    await headline.waitFor();
    const hBox = (await headline.boundingBox())!;
    // The headline and its chart fit the screen (other panels are not this test's business).
    expect(hBox.x).toBeGreaterThanOrEqual(0);
    expect(hBox.x + hBox.width).toBeLessThanOrEqual(390);
    const canvas = (await page.locator('figure[data-testid=chart-headline] canvas').boundingBox())!;
    expect(canvas.x + canvas.width).toBeLessThanOrEqual(390);
    // Before the metric panels.
    expect(hBox.y + hBox.height).toBeLessThanOrEqual((await page.locator('figure[data-panel]').first().boundingBox())!.y);
    await headline.screenshot({ path: join(SCREENSHOTS, 'results-headline-390.png') });
    await phone.close();
  });

  it('Re-run here on a share link: then (dashed) and here (solid) on the same charts, the comparison below them', async () => {
    await lab.page.getByTestId('share-link').click();
    const link = await lab.page.getByTestId('share-url').inputValue();
    const context = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(link);
    await page.getByTestId('charts').waitFor();
    await page.getByTestId('headline').waitFor();
    await page.getByTestId('rerun').click();
    expect(await waitForRunEnd(page)).toBe('done');
    await page.getByTestId('compare-summary').waitFor();

    const variants = variantsOf(run);
    const series = JSON.parse((await page.locator('figure[data-panel=exact_match] canvas').getAttribute('data-series'))!) as { label: string; dashed: boolean; run: string | null; points: number }[];
    expect(series.filter((s) => s.run === 'then' && s.dashed)).toHaveLength(variants.length);
    expect(series.filter((s) => s.run === 'here' && !s.dashed)).toHaveLength(variants.length);
    expect(series.every((s) => s.points === MODELS.length)).toBe(true);
    expect(await page.locator('figure[data-panel=exact_match] tr[data-testid=then-point]').count()).toBe(MODELS.length * variants.length);
    expect(await page.getByTestId('then-here-legend').textContent()).toContain('then: shared run');
    // The comparison sits below the charts and says in one line that nothing differs.
    const charts = (await page.getByTestId('charts').boundingBox())!;
    const compare = (await page.getByTestId('compare-panel').boundingBox())!;
    expect(compare.y).toBeGreaterThanOrEqual(charts.y + charts.height);
    const total = run.models.reduce((s, m) => s + m.items.length, 0);
    expect(await page.getByTestId('compare-identical').textContent()).toBe(`All ${total} items identical`);
    expect(await page.getByTestId('compare-delta').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'results-overlay-1440.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('figure[data-panel=exact_match]').screenshot({ path: join(SCREENSHOTS, 'results-overlay-panel-390.png') });
    await page.getByTestId('compare-panel').screenshot({ path: join(SCREENSHOTS, 'results-compare-390.png') });
    expect(errors).toEqual([]);
    await context.close();
  });
});
