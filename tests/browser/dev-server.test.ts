/**
 * `npm run dev` is the README's second command: the lab served by Vite's dev server must run its
 * default experiment, not only the production build every other browser test uses. The two serve
 * ONNX Runtime differently (dev: a middleware in vite.config.ts; build: files in dist/ort/), and
 * the dev path once hung at the first model: ONNX Runtime's pthread workers load its .mjs, which
 * the middleware served without COOP/COEP, so with more than one WASM thread the session never
 * started. This test starts the real dev server (own dependency cache, no HMR port clash), opens
 * the page in Chromium, presses Run on the default experiment and waits for it to finish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { waitForRunEnd } from '../helpers/lab-page.ts';

let chrome: LaunchedBrowser;
let server: ViteDevServer;
let cacheDir: string;
let url: string;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'emergence-lab-vite-'));
  server = await createServer({
    cacheDir,
    logLevel: 'warn',
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
  });
  await server.listen();
  const local = server.resolvedUrls?.local[0];
  if (!local) throw new Error('the dev server did not report a URL');
  url = local;
  chrome = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chrome?.close();
  await server?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('serves the lab cross-origin isolated and runs the default experiment on multi-threaded WASM', async () => {
    const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(180_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const runEnabled = () =>
      page.waitForFunction(() => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
        return b !== null && !b.disabled;
      });
    // The first visit makes Vite optimize the dependencies it discovers, which may reload the
    // page; a second visit starts from a settled server.
    await page.goto(url);
    await runEnabled();
    await page.goto(url);
    await runEnabled();

    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const threads = Number(await page.getByTestId('cap-threads').getAttribute('data-threads'));
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    // The bug needs more than one thread; on a 1-core machine the run still has to finish.
    expect(threads).toBe(Math.min(cores, 8));
    expect(await page.locator('input[name=backend][value=wasm]').isChecked()).toBe(true);

    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page, 180_000)).toBe('done');
    expect(await page.locator('[data-testid=rung][data-status=done]').count()).toBe(await page.locator('[data-testid=rung]').count());
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);
});
