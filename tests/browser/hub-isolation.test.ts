/**
 * A bad model cannot poison the lab (issue 20), in the built app in headless Chromium (WASM
 * backend) against the local Hub imitation: corrupt bytes of the right length are refused by
 * their SHA-256 before the cache; corrupt weights planted in the cache are evicted on first use
 * with a message offering a fresh download; and neither stops the other rungs, a bundled run
 * afterwards in the same page, or the next Hub run (which downloads the evicted file again).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../../src/cli/node-engine.ts';
import { formatBytes } from '../../src/lib/hub/downloads.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

const ONNX = 'onnx/model.onnx';
const dirOf = (id: string) => join(MODELS_DIR, 'arith', id);
const onnxBytes = (id: string) => statSync(join(dirOf(id), ONNX)).size;
const FIXTURES = join(REPO_ROOT, 'tests', 'fixtures', 'models');
const EXTERNAL_DIR = join(FIXTURES, 'external-data', 'arith-l1-d12-external');
const small = (file: string) => readFileSync(join(dirOf('arith-l1-d12'), file));

let server: HubServer;
let chrome: LaunchedBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startHubServer({
    port: inject('hubPort'),
    repos: {
      'lab-test/c-first': { dir: dirOf('arith-l1-d12') },
      'lab-test/c-second': { dir: dirOf('arith-l1-d24') },
      'lab-test/ext': { dir: EXTERNAL_DIR },
      'lab-test/nan': { dir: join(FIXTURES, 'broken', 'nan-logits') },
      'lab-test/legacy': {
        files: {
          'config.json': small('config.json'),
          'tokenizer.json': small('tokenizer.json'),
          'tokenizer_config.json': small('tokenizer_config.json'),
          'onnx/decoder_model_merged.onnx': small(ONNX),
        },
      },
      'lab-test/q8-and-fp32': { dir: dirOf('arith-l1-d12'), files: { 'onnx/model_quantized.onnx': small(ONNX) } },
    },
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

  it('external-data weights, the legacy layout and NaN logits, with one listing request per repository', async () => {
    const removeButtons = page.locator('[data-testid=custom-model] button', { hasText: 'remove' });
    while ((await removeButtons.count()) > 0) await removeButtons.first().click();
    server.resetLog();
    const legacy = await probe('lab-test/legacy');
    expect(legacy.status).toBe('error');
    expect(legacy.text).toMatch(/^lab-test\/legacy: at 0123456789ab this repository has only the legacy ONNX layout \(onnx\/decoder_model_merged\.onnx\), which the lab does not load/);
    expect((await probe('lab-test/ext')).status).toBe('ok');
    const extBytes = statSync(join(EXTERNAL_DIR, ONNX)).size + statSync(join(EXTERNAL_DIR, `${ONNX}_data`)).size;
    expect(await page.locator('[data-testid=custom-model][data-repo="lab-test/ext"]').textContent()).toContain(`fp32 ${formatBytes(extBytes)}`);
    expect((await probe('lab-test/nan')).status).toBe('ok');
    await run();
    expect(await waitForRunEnd()).toBe('done');
    const byModel = Object.fromEntries((await rungs()).map((r) => [r.model, r]));
    expect(byModel['lab-test/ext'].status).toBe('done');
    expect(byModel['lab-test/nan'].status).toBe('error');
    expect(byModel['lab-test/nan'].error).toMatch(/^lab-test\/nan \(fp32 on wasm\) produced NaN or infinite values while scoring, so this rung has no results\. Run it again with fp32 or q4\.$/);
    const dataUrl = `${server.url}/lab-test/ext/resolve/${server.sha}/${ONNX}_data`;
    expect(await cachedUrls()).toContain(dataUrl);
    for (const repo of ['lab-test/legacy', 'lab-test/ext', 'lab-test/nan']) expect([repo, server.count({ kind: 'tree', repoId: repo })]).toEqual([repo, 1]);
    expect(server.count({ kind: 'file', method: 'HEAD' })).toBe(0);

    // Served from the cache: the external-data model runs again with no file or listing request
    // (its unpinned "main" is still resolved by the revision API, as for every unpinned ref).
    server.resetLog();
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect(Object.fromEntries((await rungs()).map((r) => [r.model, r.status]))['lab-test/ext']).toBe('done');
    expect(server.log.filter((r) => r.repoId === 'lab-test/ext' && r.kind !== 'api')).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('dtypes on WebGPU', () => {
  it('auto never picks q8 weights on WebGPU (transformers.js #1512): fp32 where q4 is missing', async () => {
    const gpu = await launchChromium({ webgpu: true });
    try {
      const p = await (await gpu.newContext()).newPage();
      p.setDefaultTimeout(120_000);
      await p.goto(inject('baseUrl'));
      await p.waitForFunction(() => {
        const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
        return b !== null && !b.disabled;
      });
      // SwiftShader is a software adapter: the lab recommends WASM, so WebGPU is picked by hand.
      await p.locator('input[name=backend][value=webgpu]').check();
      await p.getByTestId('source-hub').check();
      await p.getByTestId('hub-ladder').selectOption('custom');
      await p.getByTestId('repo-input').fill('lab-test/q8-and-fp32');
      await p.getByTestId('probe').click();
      await p.waitForFunction(() => document.querySelector('[data-testid=probe-message]')?.getAttribute('data-status') === 'ok');
      expect(await p.locator('[data-testid=custom-model][data-repo="lab-test/q8-and-fp32"] .tag.chosen').textContent()).toBe('fp32');
    } finally {
      await gpu.close();
    }
  });
});
