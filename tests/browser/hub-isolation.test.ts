/**
 * A bad model cannot poison the lab (issue 20), in the built app in headless Chromium (WASM
 * backend) against the local Hub imitation: corrupt bytes of the right length are refused by
 * their SHA-256 before the cache; corrupt weights planted in the cache are evicted on first use
 * with a message offering a fresh download; and neither stops the other rungs, a bundled run
 * afterwards in the same page, or the next Hub run (which downloads the evicted file again).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MODELS_DIR } from '../../src/cli/node-engine.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

const ONNX = 'onnx/model.onnx';
const dirOf = (id: string) => join(MODELS_DIR, 'arith', id);
const onnxBytes = (id: string) => statSync(join(dirOf(id), ONNX)).size;

let server: HubServer;
let chrome: LaunchedBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startHubServer({
    port: inject('hubPort'),
    repos: { 'lab-test/c-first': { dir: dirOf('arith-l1-d12') }, 'lab-test/c-second': { dir: dirOf('arith-l1-d24') } },
  });
  chrome = await launchChromium({ webgpu: false });
  page = await (await chrome.newContext()).newPage();
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
  for (const d of [2, 3, 4, 5]) await page.getByRole('checkbox', { name: `${d} digits`, exact: true }).setChecked(false);
  await page.fill('#f-per-variant', '4');
  await page.getByTestId('source-hub').check();
});

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

async function run(): Promise<void> {
  await page.getByTestId('run').click();
}

async function waitForRunEnd(): Promise<string> {
  await page.waitForFunction(() => ['done', 'cancelled', 'failed'].includes(document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? ''), null, { timeout: 240_000, polling: 100 });
  return (await page.getByTestId('run-status').getAttribute('data-status'))!;
}

async function rungs(): Promise<{ model: string; status: string; error: string | null }[]> {
  return page.$$eval('[data-testid=rung]', (els) =>
    els.map((el) => ({ model: el.getAttribute('data-model')!, status: el.getAttribute('data-status')!, error: el.querySelector('[data-testid=rung-error]')?.textContent ?? null })),
  );
}

async function cachedUrls(): Promise<string[]> {
  return page.evaluate(async () => {
    const cache = await caches.open('emergence-lab-models-v1');
    const out: string[] = [];
    for (const req of await cache.keys()) {
      const r = await cache.match(req);
      if (r && r.headers.get('x-el-absent') !== '1') out.push(req.url);
    }
    return out;
  });
}

async function probe(id: string): Promise<{ status: string; text: string }> {
  await page.getByTestId('repo-input').fill(id);
  await page.getByTestId('probe').click();
  await page.waitForFunction(() => ['ok', 'error'].includes(document.querySelector('[data-testid=probe-message]')?.getAttribute('data-status') ?? ''));
  const el = page.getByTestId('probe-message');
  return { status: (await el.getAttribute('data-status'))!, text: (await el.textContent())!.trim() };
}

describe('a bad model cannot poison the lab', () => {
  it('corrupt weights cannot poison the lab: refused by hash before the cache, evicted from the cache on first use, and neither stops the ladder or a later run', async () => {
    await page.getByTestId('hub-ladder').selectOption('custom');
    const removeButtons = page.locator('[data-testid=custom-model] button', { hasText: 'remove' });
    while ((await removeButtons.count()) > 0) await removeButtons.first().click();
    for (const repo of ['lab-test/c-first', 'lab-test/c-second']) expect((await probe(repo)).status).toBe('ok');
    const onnxUrl = (repo: string) => `${server.url}/${repo}/resolve/${server.sha}/${ONNX}`;

    // 1. Same length, corrupt bytes in transit: the first rung names the file and the hash
    //    mismatch, nothing is cached, the second rung runs.
    server.setFault('lab-test/c-first', ONNX, { kind: 'corrupt' });
    await run();
    expect(await waitForRunEnd()).toBe('done');
    let r = await rungs();
    expect(r.map((x) => [x.model, x.status])).toEqual([['lab-test/c-first', 'error'], ['lab-test/c-second', 'done']]);
    expect(r[0].error).toMatch(
      new RegExp(`^lab-test/c-first: could not be loaded: download of onnx/model\\.onnx failed: the ${onnxBytes('arith-l1-d12')} bytes received have SHA-256 [0-9a-f]{12}…, but the host publishes [0-9a-f]{12}… for this file`),
    );
    expect((await cachedUrls()).filter((u) => u === onnxUrl('lab-test/c-first'))).toEqual([]);

    // 2. Fixed on the server: it downloads, verifies and caches.
    server.clearFaults();
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).map((x) => x.status)).toEqual(['done', 'done']);
    expect(await cachedUrls()).toContain(onnxUrl('lab-test/c-first'));

    // 3. Corrupt bytes planted in the cache itself: the first use evicts them with a message
    //    that offers a fresh download; the next rung still runs in the same worker.
    await page.evaluate(async (url) => {
      const cache = await caches.open('emergence-lab-models-v1');
      const res = (await cache.match(url))!;
      const body = new Uint8Array(await res.arrayBuffer());
      for (let i = 0; i < 64; i++) body[i] ^= 0x5a;
      await cache.put(url, new Response(body, { headers: res.headers }));
    }, onnxUrl('lab-test/c-first'));
    server.resetLog();
    await run();
    expect(await waitForRunEnd()).toBe('done');
    r = await rungs();
    expect(r.map((x) => x.status)).toEqual(['error', 'done']);
    expect(r[0].error).toMatch(/^lab-test\/c-first: the cached copy of onnx\/model\.onnx could not be loaded as an ONNX model \(.*\), so it was removed from the cache\. Run the model again to download it again\.$/);
    expect(r[0].error!.length).toBeLessThan(400);
    expect(await cachedUrls()).not.toContain(onnxUrl('lab-test/c-first'));
    expect(server.count({ kind: 'file', method: 'GET', range: null })).toBe(0);

    // 4. The bundled ladder runs in the same page afterwards, and so does the Hub run, which
    //    downloads the evicted file again.
    await page.getByTestId('source-bundled').check();
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).every((x) => x.status === 'done')).toBe(true);
    await page.getByTestId('source-hub').check();
    await page.getByTestId('hub-ladder').selectOption('custom');
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).map((x) => x.status)).toEqual(['done', 'done']);
    expect(server.count({ kind: 'file', method: 'GET', repoId: 'lab-test/c-first', file: ONNX, range: null })).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
