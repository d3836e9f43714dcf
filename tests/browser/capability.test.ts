import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';

describe('the built app in headless Chromium', () => {
  let chrome: LaunchedBrowser;
  beforeAll(async () => {
    chrome = await launchChromium({ webgpu: true });
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('reports the WebGPU adapter it found, the backend it chose, and a correct compute run', async () => {
    const page = await (await chrome.newContext()).newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(inject('baseUrl'));
    await page.getByTestId('cap-backend').waitFor();
    expect(await page.getByTestId('cap-webgpu').textContent()).toBe('available');
    // SwiftShader on a machine without a GPU; a real vendor name elsewhere.
    expect((await page.getByTestId('cap-vendor').textContent())?.length).toBeGreaterThan(0);
    expect(await page.getByTestId('cap-architecture').textContent()).toBeTruthy();
    expect(await page.getByTestId('cap-f16').textContent()).toMatch(/^(yes|no)$/);
    expect(await page.getByTestId('cap-selftest').textContent()).toBe('passed: [1,2,3,4] x 2 = [2,4,6,8]');
    expect(await page.getByTestId('cap-backend').textContent()).toBe('WebGPU');
    // Cross-origin isolation is what lets ONNX Runtime use threads.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(errors).toEqual([]);
  });

  it('falls back to WASM and says why when WebGPU is absent', async () => {
    const noGpu = await launchChromium({ webgpu: false });
    try {
      const page = await (await noGpu.newContext()).newPage();
      await page.goto(inject('baseUrl'));
      await page.getByTestId('cap-backend').waitFor();
      expect(await page.getByTestId('cap-backend').textContent()).toBe('WASM (CPU)');
      expect(await page.getByTestId('cap-fallback').textContent()).toMatch(/Using WASM: .+/);
    } finally {
      await noGpu.close();
    }
  });
});

describe('the production build\'s Content-Security-Policy', () => {
  it('is in the built page, blocks injected inline scripts, and the app still works under it', async () => {
    const chrome = await launchChromium({ webgpu: true });
    try {
      const page = await (await chrome.newContext()).newPage();
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
      });
      await page.goto(inject('baseUrl'));
      const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).not.toContain("'unsafe-eval'");
      // The build's model host (the browser tests build with a local one; the default is covered in tests/unit/hub/csp.test.ts).
      expect(csp).toContain(`connect-src 'self' http://127.0.0.1:${inject('hubPort')};`);
      // An injected inline script (the way untrusted text would become code) must not run.
      const blocked = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true });
            const s = document.createElement('script');
            s.textContent = 'window.__injected = true';
            document.body.append(s);
            setTimeout(() => resolve((window as unknown as { __injected?: boolean }).__injected ? 'ran' : 'no event'), 2000);
          }),
      );
      expect(blocked).toBe('script-src-elem');
      await page.getByTestId('cap-backend').waitFor();
      // Only the deliberate violation above, nothing from the app itself.
      expect(violations.filter((v) => !/inline script/i.test(v))).toEqual([]);
    } finally {
      await chrome.close();
    }
  });
});
