/**
 * The run panel for keyboard and screen-reader users, and its progress wording (issue 13 items
 * 5 and 6), in the built app (headless Chromium, the recommended backend: WASM here): after Run
 * focus moves to Cancel; a live region announces models landing and the run ending (not every
 * tick); when the run ends focus lands on "Show results", which moves it to the results heading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chooseModels, openLab, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

/** Every distinct text a test id showed, recorded in the page from now on. */
async function recordTexts(page: Page, testId: string): Promise<void> {
  await page.evaluate((id) => {
    const seen: string[] = [];
    (window as unknown as Record<string, string[]>)[`__seen_${id}`] = seen;
    const el = document.querySelector(`[data-testid=${id}]`)!;
    const note = () => {
      const t = el.textContent ?? '';
      if (seen[seen.length - 1] !== t) seen.push(t);
    };
    new MutationObserver(note).observe(el, { subtree: true, childList: true, characterData: true });
  }, testId);
}

const seenTexts = (page: Page, testId: string) => page.evaluate((id) => (window as unknown as Record<string, string[]>)[`__seen_${id}`], testId);

describe('the run panel', () => {
  let chrome: LaunchedBrowser;
  beforeAll(async () => {
    chrome = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('moves focus to Cancel, announces models and the end, then offers the results', async () => {
    const { page, errors } = await openLab(chrome);
    await chooseModels(page, ['arith-l1-d12', 'arith-l1-d24']);
    await setItemsPerVariant(page, 8);
    expect(await page.getByTestId('run-status').textContent()).toBe('Ready: 2 models × 40 items, on your device.');
    await recordTexts(page, 'run-announcer');
    await recordTexts(page, 'run-status');
    await page.getByTestId('run').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'cancel', null, { timeout: 120_000, polling: 50 });
    expect(await waitForRunEnd(page)).toBe('done');
    // The run ended: Cancel is disabled, focus went to "Show results", not to <body>.
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'show-results', null, { timeout: 10_000, polling: 50 });
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-title');

    const announced = (await seenTexts(page, 'run-announcer')).filter((t) => t !== '');
    expect(announced[0]).toBe('Run started: 2 models.');
    expect(announced).toContain('arith-l1-d12 finished; 1 of 2 models done.');
    expect(announced.at(-1)).toMatch(/^Done in .+: 2 models finished\.$/);
    // Only those: no item counts, no ticking times.
    expect(announced.length).toBeLessThanOrEqual(4);

    const statuses = await seenTexts(page, 'run-status');
    expect(statuses.some((t) => /^Running model 2 of 2 \(1 model finished\)/.test(t)), statuses.join(' | ')).toBe(true);
    // While running: which model, how many finished (singular for one), and an estimate once 2 s are measured.
    const running = statuses.filter((t) => t.startsWith('Running'));
    expect(running.length).toBeGreaterThan(0);
    for (const t of running) expect(t).toMatch(/^Running model [12] of 2( \(1 model finished\))?(, about \d+ (s|min) left|…)$/);
    // Each model's time is measured from its request to its first items.
    for (const detail of await page.locator('[data-testid=rung] .detail').allTextContents()) {
      expect(detail).toMatch(/^40 items · first items after (<1 s|\d+ s) · score (<1 s|\d+ s)$/);
    }
    expect(errors).toEqual([]);
  }, 300_000);
});
