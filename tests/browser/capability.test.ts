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

  it('reports the WebGPU adapter it found, a correct compute run, and recommends WASM on a software adapter with the reason', async () => {
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
    // This machine has no GPU: Chromium's adapter is SwiftShader (a fallback adapter), usable
    // but slow, so WASM is recommended and the form starts on it; WebGPU stays selectable.
    const architecture = await page.getByTestId('cap-architecture').textContent();
    if (/swiftshader/i.test(architecture ?? '')) {
      expect(await page.getByTestId('cap-backend').textContent()).toBe('WASM (CPU)');
      expect(await page.getByTestId('cap-backend').getAttribute('data-source')).toBe('software');
      expect(await page.getByTestId('cap-reason').textContent()).toBe('Your WebGPU adapter is a software renderer (SwiftShader): WASM is faster here; WebGPU stays selectable.');
      expect(await page.getByTestId('cap-software').textContent()).toContain('software');
      expect(await page.locator('input[name=backend]:checked').getAttribute('value')).toBe('wasm');
    }
    expect(await page.locator('input[name=backend][value=webgpu]').isEnabled()).toBe(true);
    // Cross-origin isolation is what lets ONNX Runtime use threads: every core, up to 8.
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(Number(await page.getByTestId('cap-threads').getAttribute('data-threads'))).toBe(Math.min(8, cores));
    expect(await page.getByTestId('cap-threads').textContent()).toBe(`${Math.min(8, cores)} (of ${cores} logical cores)`);
    expect(errors).toEqual([]);
  });

  it('"Measure both backends" times both in the engine worker, says so with its date, and remembers it per device; a corrupt stored value is ignored', async () => {
    const context = await chrome.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(300_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(inject('baseUrl'));
    await page.getByTestId('cap-measure').click();
    await page.getByTestId('cap-probing').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=cap-backend]')?.getAttribute('data-source') === 'probe', null, { timeout: 300_000, polling: 500 });
    const reason = (await page.getByTestId('cap-reason').textContent())!;
    const m = /^(WebGPU|WASM) was faster here: chosen by a ([\d,]+) ms \(WebGPU\) vs ([\d,]+) ms \(WASM\) probe on (\d{4}-\d\d-\d\d)\.$/.exec(reason);
    expect(m, reason).not.toBeNull();
    const [gpuMs, wasmMs] = [Number(m![2].replace(/,/g, '')), Number(m![3].replace(/,/g, ''))];
    console.log(`[capability] probe: WebGPU ${gpuMs} ms, WASM ${wasmMs} ms`);
    const chosen = gpuMs * 1.1 < wasmMs ? 'webgpu' : 'wasm';
    expect(m![1]).toBe(chosen === 'webgpu' ? 'WebGPU' : 'WASM');
    expect(m![4]).toBe(new Date().toISOString().slice(0, 10));
    // The form follows the measurement (the visitor had not picked a backend).
    expect(await page.locator('input[name=backend]:checked').getAttribute('value')).toBe(chosen);
    expect(await page.getByTestId('cap-measure').textContent()).toBe('Measure again');
    // Remembered: a reload reads it back instead of measuring.
    const key = await page.evaluate(() => Object.keys(localStorage).find((k) => k.startsWith('emergence-lab:backend-probe:v1:')));
    expect(key).toContain('swiftshader');
    await page.reload();
    await page.getByTestId('cap-reason').waitFor();
    expect(await page.getByTestId('cap-reason').textContent()).toBe(reason);
    // A corrupt value is ignored: back to the software-adapter rule.
    await page.evaluate((k) => localStorage.setItem(k!, '{"backend":"webgpu","webgpuMs":-1'), key);
    await page.reload();
    await page.getByTestId('cap-reason').waitFor();
    expect(await page.getByTestId('cap-backend').getAttribute('data-source')).toBe('software');
    expect(errors).toEqual([]);
    await context.close();
  }, 400_000);

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
