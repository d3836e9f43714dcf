/**
 * The model host is down (issue 13, item 9): the build's VITE_MODEL_HOST port has no server in
 * this file (hub.test.ts starts one and closes it; browser files run one at a time). Picking Hub
 * models sends ONE request and shows ONE short message, in an error style, within 3 s, with the
 * details behind a disclosure; "Check on host now" and Run each send one more request and repeat
 * nothing per repository; the bundled ladder still runs.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chooseModels, openLab, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

const MESSAGE = "Can't reach the model host";

let chrome: LaunchedBrowser;
beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
});
afterAll(async () => {
  await chrome?.close();
});

const occurrences = async (page: Page) => (await page.evaluate(() => document.body.innerText)).split(MESSAGE).length - 1;

describe('Hub models with the model host offline', () => {
  it('one probe, one message within 3 s, details on demand; Run fails at once; the bundled ladder runs', async () => {
    const host = `127.0.0.1:${inject('hubPort')}`;
    const { page, errors } = await openLab(chrome);
    const hostRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).host === host) hostRequests.push(r.url());
    });
    expect(await page.getByTestId('hub-offline').count()).toBe(0);

    const t0 = Date.now();
    await page.getByTestId('source-hub').check();
    await page.getByTestId('hub-offline').waitFor({ timeout: 3_000 });
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(3_000);
    expect(hostRequests).toEqual([`http://${host}/api/models?limit=1`]);
    const notice = page.getByTestId('hub-offline');
    expect(await notice.getAttribute('role')).toBe('alert');
    expect((await notice.locator('p').first().textContent())!.trim()).toBe(`${MESSAGE} ${host}. The bundled ladder works offline.`);
    // The message is in the error colour (the theme's --danger).
    const [colour, danger] = await notice.locator('p').first().evaluate((p) => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--danger)';
      document.body.append(probe);
      const d = getComputedStyle(probe).color;
      probe.remove();
      return [getComputedStyle(p).color, d];
    });
    expect(colour).toBe(danger);
    // Details behind a disclosure, closed.
    const details = notice.locator('details');
    expect(await details.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await details.textContent()).toContain(`http://${host}/api/models?limit=1`);
    expect(await occurrences(page)).toBe(1);

    // "Check on host now": one more request, still one message, no per-repository errors.
    await page.getByTestId('check-host').click();
    await expect.poll(() => hostRequests.length).toBe(2);
    await expect.poll(() => page.getByTestId('check-host').isDisabled()).toBe(false);
    expect(await page.locator('[data-testid=host-check]').count()).toBe(0);
    expect(await occurrences(page)).toBe(1);

    // Run: fails within 3 s after one request, with a short status line that points at the message.
    const t1 = Date.now();
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page, 3_000)).toBe('failed');
    expect(Date.now() - t1).toBeLessThan(3_000);
    expect(hostRequests).toHaveLength(3);
    const status = (await page.getByTestId('run-status').textContent())!;
    expect(status).toMatch(/did not answer \(see the message above\)/);
    expect(status.length).toBeLessThan(200);
    expect(await page.locator('[data-testid=rung-error], [data-testid=host-check]').count()).toBe(0);
    expect(await occurrences(page)).toBe(1);

    // The bundled ladder runs offline (and asks the model host nothing).
    await page.getByTestId('source-bundled').check();
    for (const d of [2, 3, 4, 5]) await page.getByRole('checkbox', { name: `${d} digits`, exact: true }).setChecked(false);
    await chooseModels(page, ['arith-l1-d12', 'arith-l2-d32']);
    await setItemsPerVariant(page, 4);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page, 240_000)).toBe('done');
    expect(hostRequests).toHaveLength(3);
    expect(await page.locator('figure[data-panel]').count()).toBeGreaterThan(0);

    await page.getByTestId('hub-offline-dismiss').click();
    expect(await occurrences(page)).toBe(0);
    // The browser logs the refused connections; nothing else may fail.
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED/.test(e))).toEqual([]);
    await page.context().close();
  });
});
