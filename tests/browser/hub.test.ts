/**
 * Hub models in the built app, in headless Chromium (WASM backend: fastest here), against the
 * local Hub-imitating server the build's VITE_MODEL_HOST points at (see global-setup.ts). The
 * server serves the bundled ladder's models under Hub-style ids (some under catalog ids, so the
 * catalog's Pythia ladder runs), with injected faults. The real Hub is never reached.
 *
 * The tests share one browser context (its Cache API is the model cache) and run in order.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { MODELS_DIR, REPO_ROOT } from '../../src/cli/node-engine.ts';
import { formatBytes } from '../../src/lib/hub/downloads.ts';
import type { RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

const SCREENSHOTS = join(REPO_ROOT, 'test-results', 'screenshots');
const ONNX = 'onnx/model.onnx';
const dirOf = (id: string) => join(MODELS_DIR, 'arith', id);
const onnxBytes = (id: string) => statSync(join(dirOf(id), ONNX)).size;

/** Catalog ids served with bundled models (Pythia 410M is not served: a missing repository). */
const PYTHIA: Record<string, string> = {
  'Xenova/pythia-14m': 'arith-l1-d12',
  'Xenova/pythia-31m': 'arith-l1-d24',
  'Xenova/pythia-70m': 'arith-l2-d32',
  'Xenova/pythia-160m': 'arith-l3-d64',
};
const FAULTY = ['lab-test/f-missing', 'lab-test/f-truncate', 'lab-test/f-stall', 'lab-test/f-length'];

let server: HubServer;
let chrome: LaunchedBrowser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const gpt2 = readFileSync(join(dirOf('arith-l1-d12'), 'config.json'), 'utf8');
  const tokenizerFiles = { 'tokenizer.json': readFileSync(join(dirOf('arith-l1-d12'), 'tokenizer.json')), 'tokenizer_config.json': readFileSync(join(dirOf('arith-l1-d12'), 'tokenizer_config.json')) };
  server = await startHubServer({
    port: inject('hubPort'),
    repos: {
      ...Object.fromEntries(Object.entries(PYTHIA).map(([repo, dir]) => [repo, { dir: dirOf(dir) }])),
      'lab-test/arith-l1-d12': { dir: dirOf('arith-l1-d12') },
      'lab-test/bert-like': { dir: dirOf('arith-l1-d12'), files: { 'config.json': JSON.stringify({ ...JSON.parse(gpt2), model_type: 'bert' }) } },
      'lab-test/no-onnx': { files: { 'config.json': gpt2, ...tokenizerFiles } },
      ...Object.fromEntries(FAULTY.map((repo) => [repo, { dir: dirOf('arith-l1-d12') }])),
      // Also has q8 weights: with fp32 missing, the plan names what there is.
      'lab-test/f-missing': { dir: dirOf('arith-l1-d12'), files: { 'onnx/model_quantized.onnx': readFileSync(join(dirOf('arith-l1-d12'), ONNX)) } },
      'lab-test/f-ok': { dir: dirOf('arith-l1-d24') },
    },
  });
  chrome = await launchChromium({ webgpu: false });
  const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.setDefaultTimeout(120_000);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  await page.goto(inject('baseUrl'));
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
  // Small runs: one digit count, four items.
  for (const d of [2, 3, 4, 5]) await page.getByRole('checkbox', { name: `${d} digits`, exact: true }).setChecked(false);
  await page.fill('#f-per-variant', '4');
});

afterAll(async () => {
  await chrome?.close();
  await server?.close();
});

beforeEach(() => {
  server.clearFaults();
  server.resetLog();
});

async function waitForRunEnd(): Promise<string> {
  await page.waitForFunction(() => ['done', 'cancelled', 'failed'].includes(document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? ''), null, { timeout: 240_000, polling: 100 });
  return (await page.getByTestId('run-status').getAttribute('data-status'))!;
}

async function run(): Promise<void> {
  await page.getByTestId('run').click();
}

async function rungs(): Promise<{ model: string; status: string; error: string | null }[]> {
  return page.$$eval('[data-testid=rung]', (els) =>
    els.map((el) => ({ model: el.getAttribute('data-model')!, status: el.getAttribute('data-status')!, error: el.querySelector('[data-testid=rung-error]')?.textContent ?? null })),
  );
}

async function exportJson(): Promise<RunResult> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  return JSON.parse(readFileSync(await download.path(), 'utf8')) as RunResult;
}

async function selectHubModels(ids: string[]): Promise<void> {
  for (const box of await page.locator('input[name=hub-model]').all()) await box.setChecked(ids.includes((await box.getAttribute('value'))!));
}

/** Cache API keys (URLs) of model files in the page's origin. */
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

/** A screenshot of one panel (or of the viewport) at a width, for looking at the UI. */
async function screenshot(name: string, width: number, testId?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.setViewportSize({ width, height: 900 });
  const path = join(SCREENSHOTS, `${name}-${width}.png`);
  if (testId) await page.getByTestId(testId).screenshot({ path });
  else await page.screenshot({ path });
  await page.setViewportSize({ width: 1280, height: 900 });
}

const modelGets = (repoId?: string) => server.log.filter((r) => r.kind === 'file' && r.method === 'GET' && r.range !== 'bytes=0-0' && r.file !== 'config.json' && (!repoId || r.repoId === repoId));

describe('Hub models in the browser', () => {
  it('custom repository ids: bad ids, missing repos, unsupported architectures and repos without ONNX get clear messages; a good one is probed', async () => {
    await page.getByTestId('source-hub').check();
    await page.getByTestId('hub-ladder').selectOption('custom');
    expect(await page.locator('[data-testid=hub-model]').count()).toBe(0);

    const bad = await probe('https://huggingface.co/Xenova/gpt2');
    expect(bad.status).toBe('error');
    expect(bad.text).toBe('"https://huggingface.co/Xenova/gpt2" is not a Hub model id: it is a URL; the id is probably "Xenova/gpt2". Use the form "owner/name", e.g. "Xenova/pythia-70m".');
    expect(await page.getByTestId('repo-input').getAttribute('aria-invalid')).toBe('true');
    expect((await probe('lab-test/nope')).text).toMatch(/^lab-test\/nope: the model host has no repository with this id/);
    expect((await probe('lab-test/bert-like')).text).toMatch(/^lab-test\/bert-like: architecture "bert" is not a causal language model/);
    expect((await probe('lab-test/no-onnx')).text).toMatch(/^lab-test\/no-onnx: no ONNX weights at revision 0123456789ab/);
    // Untrusted text stays text.
    await probe('<img src=x onerror=alert(1)>/x');
    expect(await page.getByTestId('probe-message').evaluate((el) => el.children.length)).toBe(0);
    expect(await page.getByTestId('probe-message').textContent()).toMatch(/^"<img src=x onerror=alert\(1\)>\/x" is not a Hub model id/);

    const good = await probe('lab-test/arith-l1-d12');
    expect(good.status).toBe('ok');
    const row = page.locator('[data-testid=custom-model][data-repo="lab-test/arith-l1-d12"]');
    expect(await row.textContent()).toMatch(/gpt2 @ 0123456 · fp32 \d+(\.\d)? KB/);
    expect(await page.getByTestId('form-summary').textContent()).toMatch(/^1 model × 4 items$/);
    // Probing downloads no weights.
    expect(modelGets()).toEqual([]);
    await page.locator('[data-testid=custom-model] button', { hasText: 'remove' }).click();
    expect(await page.locator('[data-testid=custom-model]').count()).toBe(0);
  });

  it('a catalog ladder runs: per-file progress and retries reach the rungs, revisions are pinned, every request names the commit', async () => {
    await page.getByTestId('hub-ladder').selectOption('pythia');
    expect(await page.getByTestId('hub-note').textContent()).toMatch(/Not checked live/);
    expect(await page.locator('[data-testid=hub-model][data-repo="Xenova/pythia-14m"]').textContent()).toMatch(/14\.1M.*fp32 56\.0 MB/s);
    await selectHubModels(['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-70m']);
    // Unchecked, auto trusts the catalog: q8 on WASM, with the catalog's approximate sizes.
    expect(await page.getByTestId('dtype').inputValue()).toBe('auto');
    expect(await page.getByTestId('hub-summary').textContent()).toBe('3 models, about 114 MB to download unless cached; sizes are checked before any download.');
    expect(await page.locator('[data-testid=hub-model] .tag.chosen').allTextContents()).toEqual(['q8', 'q8', 'q8']);
    // Checked on the host: these repositories only have fp32, so auto picks it; 410M is missing.
    await page.getByTestId('check-host').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=host-check]').length === 5);
    const hostCheck = (repo: string) => page.locator(`[data-testid=hub-model][data-repo="${repo}"] [data-testid=host-check]`).textContent();
    expect(await hostCheck('Xenova/pythia-14m')).toBe(`on host @ 0123456: fp32 ${formatBytes(onnxBytes('arith-l1-d12'))}`);
    expect(await hostCheck('Xenova/pythia-410m')).toMatch(/^Xenova\/pythia-410m: the model host has no repository with this id at revision "main" \(HTTP 401\)/);
    expect(await page.locator('[data-testid=hub-model] .tag.chosen').allTextContents()).toEqual(['fp32', 'fp32', 'fp32']);
    const threeOnnx = ['arith-l1-d12', 'arith-l1-d24', 'arith-l2-d32'].reduce((sum, id) => sum + onnxBytes(id), 0);
    expect(await page.getByTestId('hub-summary').textContent()).toBe(`3 models, ${formatBytes(threeOnnx)} to download unless cached; sizes are checked before any download.`);
    // Checking downloads no weights.
    expect(modelGets()).toEqual([]);
    await screenshot('hub-form', 390, 'experiment-form');
    await screenshot('hub-form', 1280, 'experiment-form');

    // The 70M model's weights stall at a quarter once and the connection resets: the session
    // resumes with a Range request. Record every text the file lines show.
    server.setFault('Xenova/pythia-70m', ONNX, { kind: 'stall', ms: 1500, times: 1 });
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { seenFiles: Set<string> }).seenFiles = seen;
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-testid=rung-file]')) seen.add(`${el.closest('[data-testid=rung]')!.getAttribute('data-model')}|${el.getAttribute('data-status')}|${el.textContent}`);
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(await page.getByTestId('consent-dialog').evaluate((d) => (d as HTMLDialogElement).open)).toBe(false);

    const seen = await page.evaluate(() => [...(window as unknown as { seenFiles: Set<string> }).seenFiles]);
    const total = onnxBytes('arith-l2-d32');
    const partial = seen.find((s) => s.startsWith('Xenova/pythia-70m|downloading|onnx/model.onnx: ') && !s.endsWith(`${formatBytes(total)} of ${formatBytes(total)}`));
    expect(partial, seen.join('\n')).toMatch(new RegExp(`onnx/model\\.onnx: \\d+(\\.\\d)? KB of ${formatBytes(total)}$`));
    expect(seen.some((s) => /^Xenova\/pythia-70m\|retrying\|onnx\/model\.onnx: retrying after .* \(attempt 2\)$/.test(s)), seen.join('\n')).toBe(true);
    expect(server.log.some((r) => r.repoId === 'Xenova/pythia-70m' && r.file === ONNX && r.range?.startsWith('bytes=') && r.range !== 'bytes=0-0')).toBe(true);
    expect(await page.locator('[data-testid=rung-downloaded]').count()).toBe(3);

    const result = await exportJson();
    expect(result.spec.models.map((m) => [m.id, m.source, m.revision, m.dtype, m.device])).toEqual(
      ['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-70m'].map((id) => [id, 'hub', server.sha, 'fp32', 'wasm']),
    );
    expect(result.spec.task).toMatchObject({ kind: 'arithmetic', template: 'math-expr' });
    expect(result.models.map((m) => m.params)).toEqual([14067712, 30494720, 70426624]);
    expect(await page.locator('[data-testid=rung-commit]').first().textContent()).toBe('commit 0123456 · fp32');
    // "main" is asked of the API only; every file request names the commit.
    const files = server.log.filter((r) => r.kind === 'file');
    expect(files.length).toBeGreaterThan(0);
    expect(files.filter((r) => r.revision !== server.sha)).toEqual([]);
    expect(server.log.filter((r) => r.kind === 'api').every((r) => r.revision === 'main')).toBe(true);
    // The cache manager shows what was stored.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cached-model]').length === 3);
    expect(await page.getByTestId('cache-total').textContent()).toMatch(/3 models, \d+(\.\d)? KB/);
    expect(pageErrors).toEqual([]);
  });

  it('a second run of cached models makes no model-file request', async () => {
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).map((r) => r.status)).toEqual(['done', 'done', 'done']);
    expect(server.log.filter((r) => r.kind === 'file')).toEqual([]);
    expect(await page.getByTestId('plan-download').textContent()).toBe('0 B');
  });

  it('a download over the threshold asks first: Cancel (or Escape) downloads nothing; "Download and run" runs', async () => {
    await selectHubModels(['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-70m', 'Xenova/pythia-160m']);
    await run();
    const dialog = page.getByTestId('consent-dialog');
    await page.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement | null)?.open === true);
    const big = onnxBytes('arith-l3-d64');
    expect(big).toBeGreaterThan(inject('consentThresholdBytes'));
    const row = dialog.locator('[data-testid=consent-model][data-repo="Xenova/pythia-160m"]');
    expect(await row.textContent()).toMatch(/Xenova\/pythia-160m.*0123456.*fp32/s);
    expect(await dialog.locator('[data-testid=consent-model]').count()).toBe(4);
    const files160m = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', ONNX].reduce((sum, f) => sum + statSync(join(dirOf('arith-l3-d64'), f)).size, 0);
    expect(await page.getByTestId('consent-download').textContent()).toBe(formatBytes(files160m));
    expect(await page.getByTestId('consent-total').textContent()).toBe(formatBytes(files160m));
    expect(await dialog.textContent()).toMatch(/already cached/);
    // Keyboard: focus is in the dialog (on Cancel), Escape cancels.
    expect(await page.evaluate(() => document.activeElement?.closest('dialog')?.getAttribute('data-testid'))).toBe('consent-dialog');
    await screenshot('hub-consent', 390);
    await screenshot('hub-consent', 1280);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement).open === false);
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('done');
    expect(modelGets()).toEqual([]);
    expect((await cachedUrls()).some((u) => u.includes('pythia-160m'))).toBe(false);

    // Again, with the mouse: Cancel, then "Download and run".
    await run();
    await page.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement | null)?.open === true);
    await page.getByTestId('consent-cancel').click();
    expect(modelGets()).toEqual([]);
    await run();
    await page.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement | null)?.open === true);
    await page.getByTestId('consent-accept').click();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    // Only the new model was downloaded.
    expect(new Set(modelGets().map((r) => r.repoId))).toEqual(new Set(['Xenova/pythia-160m']));
  });

  it('a share link of a Hub run: nothing is fetched on opening; Re-run here asks for the pinned commits, after consent, and agrees', async () => {
    // The page shows the four-model run of the previous test.
    await page.getByTestId('share-link').click();
    const link = await page.getByTestId('share-url').inputValue();
    server.resetLog();
    const context = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const visitor = await context.newPage();
    visitor.setDefaultTimeout(120_000);
    const errors: string[] = [];
    visitor.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await visitor.goto(link);
    await visitor.getByTestId('origin-panel').waitFor();
    const rows = await visitor.$$eval('[data-testid=rerun-downloads] tr[data-model]', (trs) => trs.map((t) => [t.getAttribute('data-model'), t.querySelectorAll('td')[1].textContent, t.querySelectorAll('td')[3].textContent]));
    expect(rows).toEqual(['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-70m', 'Xenova/pythia-160m'].map((id) => [id, 'Hugging Face Hub', server.sha.slice(0, 12)]));
    // Opening the link asked nothing of the model host.
    expect(server.log).toEqual([]);

    await visitor.getByTestId('rerun').click();
    await visitor.waitForFunction(() => (document.querySelector('[data-testid=consent-dialog]') as HTMLDialogElement | null)?.open === true);
    expect(modelGets()).toEqual([]);
    expect(await visitor.locator('[data-testid=consent-model]').count()).toBe(4);
    await visitor.getByTestId('consent-accept').click();
    await visitor.waitForFunction(() => ['done', 'cancelled', 'failed'].includes(document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? ''), null, { timeout: 240_000, polling: 100 });
    expect(await visitor.getByTestId('run-status').getAttribute('data-status')).toBe('done');
    await visitor.getByTestId('compare-summary').waitFor();
    expect(Number(await visitor.getByTestId('compare-summary').getAttribute('data-agreement'))).toBe(1);
    // The re-run asked for the link's commit, never for "main".
    const requests = server.log.filter((r) => r.kind === 'file' || r.kind === 'api');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.revision !== server.sha)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a missing repository fails its rung with a clear message while the rest of the ladder runs', async () => {
    await selectHubModels(['Xenova/pythia-14m', 'Xenova/pythia-410m']);
    expect(await page.getByTestId('form-warning').allTextContents()).toEqual([expect.stringMatching(/^Xenova\/pythia-410m: the model host has no repository .* It will fail on its rung; the other models still run\.$/)]);
    await run();
    expect(await waitForRunEnd()).toBe('done');
    const r = await rungs();
    expect(r.map((x) => x.status)).toEqual(['done', 'error']);
    expect(r[1].error).toMatch(/^Xenova\/pythia-410m: the model host has no repository with this id at revision "main" \(HTTP 401\)/);
    expect(await page.getByTestId('run-status').textContent()).toMatch(/1 model failed/);
  });

  it('each download fault gives a clear error on its rung while the others finish, and the faulty file is never served from the cache', async () => {
    await page.getByTestId('hub-ladder').selectOption('custom');
    for (const repo of [...FAULTY, 'lab-test/f-ok']) expect((await probe(repo)).status).toBe('ok');
    server.setFault('lab-test/f-missing', ONNX, { kind: 'missing' });
    server.setFault('lab-test/f-truncate', ONNX, { kind: 'truncate' });
    server.setFault('lab-test/f-stall', ONNX, { kind: 'stall', ms: 300 });
    server.setFault('lab-test/f-length', ONNX, { kind: 'wrong-length', delta: 64 });
    await run();
    expect(await waitForRunEnd()).toBe('done');
    const byModel = Object.fromEntries((await rungs()).map((r) => [r.model, r]));
    expect(byModel['lab-test/f-ok'].status).toBe('done');
    // The file vanished after the repository was listed (the page keeps one listing per commit;
    // on the Hub a commit's files never change): the download says so.
    expect(byModel['lab-test/f-missing'].error).toBe(
      'lab-test/f-missing: could not be loaded: download of onnx/model.onnx failed: the host answered 404 Not Found: the file is not at this commit. Nothing was cached; run the model again to retry the download.',
    );
    expect(byModel['lab-test/f-truncate'].error).toBe(
      `lab-test/f-truncate: could not be loaded: download of onnx/model.onnx failed after 4 attempts: the connection failed after ${Math.floor(onnxBytes('arith-l1-d12') / 2)} of ${onnxBytes('arith-l1-d12')} bytes (network error). Nothing was cached; run the model again to retry the download.`,
    );
    expect(byModel['lab-test/f-stall'].error).toMatch(/^lab-test\/f-stall: could not be loaded: download of onnx\/model\.onnx failed after 4 attempts: .*Nothing was cached; run the model again to retry the download\.$/);
    expect(byModel['lab-test/f-length'].error).toBe(
      `lab-test/f-length: could not be loaded: download of onnx/model.onnx failed: the host announced ${onnxBytes('arith-l1-d12') + 64} bytes (Content-Length) but the file has ${onnxBytes('arith-l1-d12')} bytes. Nothing was cached; run the model again to retry the download.`,
    );
    for (const repo of ['lab-test/f-truncate', 'lab-test/f-stall', 'lab-test/f-length']) {
      expect(byModel[repo].status).toBe('error');
      expect(await page.locator(`[data-testid=rung][data-model="${repo}"] [data-testid=rung-file][data-file="${ONNX}"]`).getAttribute('data-status')).toBe('failed');
    }
    await screenshot('hub-faults', 390, 'run-panel');
    await screenshot('hub-faults', 1280, 'run-panel');
    const cached = await cachedUrls();
    for (const repo of FAULTY) expect(cached.filter((u) => u.includes(`/${repo}/`) && u.endsWith(ONNX))).toEqual([]);
    expect(cached.some((u) => u.includes('/lab-test/f-ok/') && u.endsWith(ONNX))).toBe(true);

    // Faults gone: every faulty model now downloads its weights again and runs.
    server.clearFaults();
    server.resetLog();
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect((await rungs()).every((r) => r.status === 'done')).toBe(true);
    for (const repo of FAULTY) expect(server.count({ kind: 'file', method: 'GET', repoId: repo, file: ONNX, range: null })).toBe(1);
    expect(server.count({ kind: 'file', repoId: 'lab-test/f-ok' })).toBe(0);
  });

  it('the cache manager lists models with sizes, deletes one, and clears all', async () => {
    await page.getByTestId('cache-refresh').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cached-model]').length === 9);
    await screenshot('hub-cache', 390, 'cache-manager');
    await screenshot('hub-cache', 1280, 'cache-manager');
    const item = page.locator('[data-testid=cached-model][data-repo="Xenova/pythia-14m"]');
    expect(await item.getAttribute('data-revision')).toBe(server.sha);
    expect(await item.textContent()).toMatch(/Xenova\/pythia-14m\s*\d+(\.\d)? KB/);
    await item.getByTestId('cache-delete').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cached-model]').length === 8);
    expect((await cachedUrls()).some((u) => u.includes('/Xenova/pythia-14m/'))).toBe(false);

    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('cache-clear').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=cache-total]')?.textContent?.includes('No Hub models cached'));
    expect(await cachedUrls()).toEqual([]);

    // Nothing cached: the next run downloads again.
    await page.getByTestId('hub-ladder').selectOption('pythia');
    await selectHubModels(['Xenova/pythia-14m']);
    await run();
    expect(await waitForRunEnd()).toBe('done');
    expect(server.count({ kind: 'file', method: 'GET', repoId: 'Xenova/pythia-14m', file: ONNX, range: null })).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});
