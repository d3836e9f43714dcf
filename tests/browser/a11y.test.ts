/**
 * axe-core in the built app (issue 13, item 10): no violations in the main states — the page as
 * it opens, after the default experiment ran (WASM), with the item explorer open, the view of a
 * share link, the consent dialog open (Hub models over the consent threshold, served by the
 * Hub-imitating server) and the history with a saved run. The first two also in the dark theme.
 *
 * axe is injected from node_modules/axe-core; the test contexts bypass the page's CSP for that
 * one inline script (the app itself runs under its CSP everywhere else in the suite).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../../src/cli/node-engine.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';
import { waitForRunEnd } from '../helpers/lab-page.ts';

const AXE = readFileSync(join(REPO_ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  nodes: string[];
}

/** axe's violations in the page as it is now: rule, impact and the first few offending nodes. */
async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const { violations } = await axe.run(document, { resultTypes: ['violations'] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  // The first toggle leaves "follow the system" for an explicit theme.
  for (let i = 0; i < 2 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== theme; i++) await page.getByTestId('theme-toggle').click();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
}

let chrome: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
  context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  page = await context.newPage();
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
});

afterAll(async () => {
  await chrome?.close();
});

describe('axe-core: no violations in the main states', () => {
  it('as the page opens, light and dark', async () => {
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      expect([theme, await axeViolations(page)]).toEqual([theme, []]);
    }
    await setTheme(page, 'light');
  });

  it('after the default experiment ran (WASM), with the run saved in the history; light and dark', async () => {
    expect(await page.locator('input[name=backend][value=wasm]').isChecked()).toBe(true);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    await page.locator('[data-testid=saved-run]').first().waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      expect([theme, await axeViolations(page)]).toEqual([theme, []]);
    }
    await setTheme(page, 'light');
  });

  it('with the item explorer open', async () => {
    const table = page.locator('figure[data-panel=exact_match] [data-testid=data-table]');
    await table.locator('summary').click();
    await table.locator('tbody button').first().click();
    await page.getByTestId('explorer-summary').waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('in the view of a share link', async () => {
    await page.getByTestId('share-link').click();
    const link = await page.getByTestId('share-url').inputValue();
    const visitor = await context.newPage();
    visitor.setDefaultTimeout(120_000);
    visitor.on('pageerror', (e) => pageErrors.push(e.message));
    await visitor.goto(link);
    await visitor.getByTestId('origin-panel').waitFor();
    await visitor.locator('figure[data-panel]').first().waitFor();
    expect(await axeViolations(visitor)).toEqual([]);
    await visitor.close();
  });

  it('with the consent dialog open', async () => {
    const dir = (id: string) => join(MODELS_DIR, 'arith', id);
    let server: HubServer | undefined;
    // The dialog needs a download over the build's threshold: the 153K-parameter rung (~0.6 MB).
    try {
      server = await startHubServer({
        port: inject('hubPort'),
        repos: { 'Xenova/pythia-14m': { dir: dir('arith-l1-d12') }, 'Xenova/pythia-160m': { dir: dir('arith-l3-d64') } },
      });
      await page.getByTestId('source-hub').check();
      for (const box of await page.locator('input[name=hub-model]').all()) {
        await box.setChecked(['Xenova/pythia-14m', 'Xenova/pythia-160m'].includes((await box.getAttribute('value'))!));
      }
      // The served repositories have fp32 weights only (auto would trust the catalog's q8).
      await page.getByTestId('dtype').selectOption('fp32');
      await page.getByTestId('run').click();
      await page.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement | null)?.open === true);
      expect(await axeViolations(page)).toEqual([]);
      await page.getByTestId('consent-cancel').click();
    } finally {
      await server?.close();
    }
    expect(pageErrors).toEqual([]);
  });
});
