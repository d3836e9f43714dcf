/**
 * Driving the lab page in tests: open it, fill the form, run, wait, export, read chart tables.
 * Chart values are read from the data tables' data-* attributes, never from pixels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../src/cli/node-engine.ts';
import type { LaunchedBrowser } from './chromium.ts';

export const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots');

/** Page errors and console errors, minus the ones a test expects (e.g. a routed 404). */
export interface Watched {
  page: Page;
  errors: string[];
}

export async function openLab(chrome: LaunchedBrowser, width = 1280): Promise<Watched> {
  const context = await chrome.browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  // Generous waits: CI machines (and this one, shared with model training) can be slow.
  page.setDefaultTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
  return { page, errors };
}

/** Text of an element by test id, or null while there is none (never waits for it to appear). */
export async function textOf(page: Page, testId: string): Promise<string | null> {
  const el = page.getByTestId(testId);
  return (await el.count()) > 0 ? el.first().textContent() : null;
}

export async function setItemsPerVariant(page: Page, n: number | string): Promise<void> {
  await page.fill('#f-per-variant', String(n));
}

/** Keep only the listed models checked (ids without the ladder prefix). */
export async function chooseModels(page: Page, ids: string[]): Promise<void> {
  for (const box of await page.locator('input[name=model]').all()) {
    const id = (await box.getAttribute('value'))!.split('/')[1];
    await box.setChecked(ids.includes(id));
  }
}

export async function waitForRunEnd(page: Page, timeout = 850_000): Promise<string> {
  const status = page.getByTestId('run-status');
  await page.waitForFunction(
    () => ['done', 'cancelled', 'failed'].includes(document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? ''),
    null,
    { timeout, polling: 250 },
  );
  return (await status.getAttribute('data-status'))!;
}

export async function exportJson(page: Page): Promise<{ text: string; name: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const path = await download.path();
  return { text: readFileSync(path, 'utf8'), name: download.suggestedFilename() };
}

export interface PointRow {
  panel: string;
  model: string;
  variant: string;
  metric: string;
  mean: number;
  lo: number;
  hi: number;
  n: number;
}

/** Every data-table row of every chart on the page. */
export async function chartRows(page: Page): Promise<PointRow[]> {
  return page.$$eval('figure[data-panel] tr[data-testid=point]', (rows) =>
    rows.map((r) => {
      const d = (r as HTMLElement).dataset;
      return {
        panel: r.closest('figure')!.getAttribute('data-panel')!,
        model: d.model!,
        variant: d.variant!,
        metric: d.metric!,
        mean: Number(d.mean),
        lo: Number(d.lo),
        hi: Number(d.hi),
        n: Number(d.n),
      };
    }),
  );
}

