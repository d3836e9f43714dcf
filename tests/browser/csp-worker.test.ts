/**
 * The Content-Security-Policy covers the engine worker (issue 20): the built app served by
 * `vite preview` (which sends the headers of the built dist/_headers, as a static host would)
 * gives the worker's own script response the policy, so code in the worker can reach the app and
 * the configured model host, and nothing else, such as another port on loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

let chrome: LaunchedBrowser;
let page: Page;
let hub: HubServer;
let other: Server;
let otherUrl: string;
const otherRequests: string[] = [];

beforeAll(async () => {
  hub = await startHubServer({ port: inject('hubPort'), repos: { 'lab-test/tiny': { files: { 'config.json': '{}' } } } });
  // Another origin on loopback that answers anyone (CORS open): only the policy can stop a fetch.
  other = createServer((req, res) => {
    otherRequests.push(req.url ?? '');
    res.writeHead(200, { 'access-control-allow-origin': '*', 'cross-origin-resource-policy': 'cross-origin', 'content-type': 'text/plain' });
    res.end('reached');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/exfiltrate`;
  chrome = await launchChromium({ webgpu: false });
  page = await (await chrome.newContext()).newPage();
  page.setDefaultTimeout(120_000);
});

afterAll(async () => {
  await chrome?.close();
  await hub?.close();
  await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
});

async function fetchFrom(worker: Worker, url: string): Promise<string> {
  return worker.evaluate(async (u) => {
    try {
      const r = await fetch(u);
      return `fetched ${r.status}`;
    } catch (err) {
      return `blocked: ${err instanceof Error ? err.message : String(err)}`;
    }
  }, url);
}

describe('Content-Security-Policy', () => {
  it('is an HTTP header on the page and on the worker script, and the worker cannot fetch another loopback port', async () => {
    const response = await page.goto(inject('baseUrl'));
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toContain(`connect-src 'self' ${hub.url};`);
    await page.waitForFunction(() => {
      const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
      return b !== null && !b.disabled;
    });
    for (const d of [2, 3, 4, 5]) await page.getByRole('checkbox', { name: `${d} digits`, exact: true }).setChecked(false);
    await page.fill('#f-per-variant', '2');
    // A run starts the engine worker.
    const [worker] = await Promise.all([page.waitForEvent('worker'), page.getByTestId('run').click()]);
    const scriptHeaders = (await fetch(worker.url())).headers;
    expect(scriptHeaders.get('content-security-policy')).toBe(csp);

    // From inside the worker: the model host and the app are reachable, another port is not.
    expect(await fetchFrom(worker, `${hub.url}/lab-test/tiny/resolve/main/config.json`)).toBe('fetched 200');
    expect(await fetchFrom(worker, new URL('models/arith/ladder.json', inject('baseUrl')).href)).toBe('fetched 200');
    expect(await fetchFrom(worker, otherUrl)).toMatch(/^blocked: /);
    expect(otherRequests).toEqual([]);
    // The page is bound too (header and meta).
    expect(await page.evaluate(async (u) => fetch(u).then(() => 'fetched', () => 'blocked'), otherUrl)).toBe('blocked');
    expect(otherRequests).toEqual([]);

    await page.waitForFunction(() => ['done', 'failed'].includes(document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? ''), null, { timeout: 240_000 });
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('done');
  });
});
