/**
 * Phone-first layout (issue 13, items 5 and 7): at 390×844 the page reads intro → Run → results →
 * settings, the settings are collapsed, and the first chart starts within two screen heights,
 * after a run and in the view of a share link (whose provenance is collapsed there). On desktop
 * the settings and the provenance are open, beside the results. Focus order is DOM order: no
 * CSS `order` anywhere in the page.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { openLab, waitForRunEnd } from '../helpers/lab-page.ts';

const PHONE = { width: 390, height: 844 };

let chrome: LaunchedBrowser;
beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
});
afterAll(async () => {
  await chrome?.close();
});

/** Top of an element in page coordinates (null when there is none). */
function pageTop(page: Page, selector: string): Promise<number | null> {
  return page.evaluate((s) => {
    const el = document.querySelector(s);
    return el ? el.getBoundingClientRect().top + window.scrollY : null;
  }, selector);
}

const isOpen = (page: Page, testId: string) => page.getByTestId(testId).evaluate((d) => (d as HTMLDetailsElement).open);

/** Document order of the page's parts, and every element whose CSS `order` is not 0. */
async function structure(page: Page) {
  return page.evaluate(() => {
    const at = (s: string) => document.querySelector(s);
    const parts = ['[data-testid=run]', '[data-testid=results]', '[data-testid=settings]'].map(at);
    const inOrder = parts.every((p, i) => p !== null && (i === 0 || (parts[i - 1]!.compareDocumentPosition(p) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0));
    const reordered = [...document.querySelectorAll('body *')].filter((e) => getComputedStyle(e).order !== '0').map((e) => e.tagName + '.' + e.className);
    return { inOrder, reordered };
  });
}

describe('phone-first layout', () => {
  let link = '';

  it('at 390×844: Run near the top, settings collapsed after the results; after a run the first chart is within two screen heights', async () => {
    const { page, errors } = await openLab(chrome, PHONE.width);
    await page.setViewportSize(PHONE);
    expect(await structure(page)).toEqual({ inOrder: true, reordered: [] });
    expect(await isOpen(page, 'settings')).toBe(false);
    // Run is on the first screen and not inside the collapsed settings.
    expect(await page.getByTestId('run').isVisible()).toBe(true);
    expect(await pageTop(page, '[data-testid=run]')).toBeLessThan(PHONE.height);
    expect(await page.getByTestId('run').evaluate((b) => b.closest('details') === null)).toBe(true);
    expect(await page.locator('#f-per-variant').isVisible()).toBe(false);
    // The intro comes before the settings.
    expect(await pageTop(page, '#results-title')).toBeLessThan((await pageTop(page, '[data-testid=settings]'))!);

    // The settings open with their summary (a real <details>: keyboard and screen readers know it).
    await page.getByTestId('settings-toggle').click();
    expect(await isOpen(page, 'settings')).toBe(true);
    await page.fill('#f-per-variant', '10');
    await page.getByTestId('settings-toggle').click();

    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    // The first chart of any kind: the headline's three-metric chart, or a metric panel.
    const top = await pageTop(page, 'figure.chart-panel');
    expect(top, 'a chart is on the page').not.toBeNull();
    expect(top!).toBeLessThan(2 * PHONE.height);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no horizontal scrolling at 390 px').toBeLessThanOrEqual(0);

    await page.getByTestId('share-link').click();
    link = await page.getByTestId('share-url').inputValue();
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('a share link at 390×844: charts first, provenance collapsed, Re-run on the first screen', async () => {
    expect(link).toMatch(/#r/);
    const context = await chrome.browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(link);
    await page.getByTestId('origin-panel').waitFor();
    await page.locator('figure[data-panel]').first().waitFor();
    expect(await isOpen(page, 'origin-details')).toBe(false);
    expect(await page.getByTestId('origin-env').isVisible()).toBe(false);
    expect(await page.getByTestId('origin-summary').textContent()).toMatch(/Computed elsewhere.*7 models/);
    expect(await pageTop(page, '[data-testid=rerun]')).toBeLessThan(PHONE.height);
    expect(await pageTop(page, 'figure.chart-panel')).toBeLessThan(2 * PHONE.height);
    // The provenance is one click away.
    await page.getByTestId('origin-details').locator('summary').click();
    expect(await page.getByTestId('origin-env').isVisible()).toBe(true);
    // "Edit settings" shows the (collapsed) settings it unlocks.
    expect(await isOpen(page, 'settings')).toBe(false);
    await page.getByTestId('edit-settings').click();
    await expect.poll(() => isOpen(page, 'settings')).toBe(true);
    expect(await page.locator('#f-per-variant').isEditable()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('at 1440×900: settings and provenance open in the left column, the first chart on the first screen', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(120_000);
    await page.goto(link);
    await page.locator('figure[data-panel]').first().waitFor();
    expect(await isOpen(page, 'settings')).toBe(true);
    expect(await isOpen(page, 'origin-details')).toBe(true);
    expect(await structure(page)).toEqual({ inOrder: true, reordered: [] });
    const box = async (s: string) => (await page.locator(s).first().boundingBox())!;
    const [origin, run, results, form] = await Promise.all(['[data-testid=origin-panel]', '[data-testid=run-panel]', '[data-testid=results]', '[data-testid=experiment-form]'].map(box));
    // Left column: origin, Run, settings; right column: the results, from the top.
    for (const left of [origin, run, form]) expect(left.x + left.width).toBeLessThanOrEqual(results.x);
    expect(origin.y).toBeLessThan(run.y);
    expect(run.y).toBeLessThan(form.y);
    expect(Math.abs(results.y - origin.y)).toBeLessThan(2);
    expect(await pageTop(page, 'figure.chart-panel')).toBeLessThan(900);
    await context.close();
  });
});
