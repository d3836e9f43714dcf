/**
 * npm run bench:first-run [-- --runs 3 --build --backend wasm --out dist]
 *
 * What a new visitor waits for (issue 13 item 3): the built app served by `vite preview`
 * (COOP/COEP headers included), headless Chromium with WebGPU enabled as a visitor's browser
 * would have it, a fresh profile per run (nothing cached). From navigation the script waits for
 * Run to be enabled, presses it on the default experiment (on WASM unless --backend says
 * otherwise) and records, in the page's own clock (performance.now(), 0 = navigation start):
 * when Run became pressable, when each model landed (its rung turned "done") and when the run
 * completed. Prints each run and the median. A benchmark, not a test: numbers vary by machine
 * and by load (this one is a shared 2-core machine).
 *
 * Uses dist/ when it holds a build, otherwise builds into it (--build rebuilds).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';
import { launchChromium } from '../tests/helpers/chromium.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    build: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: 'dist' },
    webgpu: { type: 'boolean', default: true },
  },
});
const runs = Number(values.runs);
const backend = values.backend === 'webgpu' ? 'webgpu' : 'wasm';
const outDir = join(process.cwd(), values.out!);

interface Timeline {
  ready: number | null;
  pressed: number | null;
  running: number | null;
  done: number | null;
  status: string | null;
  /** model id -> ms when its rung turned "loading", "scoring" and "done". */
  rungs: Record<string, { loading?: number; scoring?: number; done?: number }>;
  threads: string | null;
  recommended: string | null;
  elapsedMs: number | null;
}

/**
 * Runs in the page before its own scripts: a MutationObserver notes, in the page's clock, the
 * first time each state shows up, so polling from Node adds no delay to what is measured. A
 * string, not a function: tsx would wrap a function's inner names in a helper the page lacks.
 */
const RECORD_TIMELINE = `(() => {
  const t = { ready: null, pressed: null, running: null, done: null, status: null, rungs: {}, threads: null, recommended: null, elapsedMs: null };
  window.__timeline = t;
  const look = () => {
    const now = performance.now();
    const run = document.querySelector('[data-testid=run]');
    if (t.ready === null && run && !run.disabled) t.ready = now;
    const status = document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') ?? null;
    if (t.pressed === null) return;
    if (status === 'running' && t.running === null) t.running = now;
    if ((status === 'done' || status === 'failed' || status === 'cancelled') && t.done === null) {
      t.done = now;
      t.status = status;
    }
    for (const r of document.querySelectorAll('[data-testid=rung]')) {
      const s = r.dataset.status;
      const entry = (t.rungs[r.dataset.model] ??= {});
      // A rung shown done before it loaded is the reference run's (shown at first paint), not this run's.
      if ((s === 'loading' || s === 'scoring' || (s === 'done' && entry.loading !== undefined)) && entry[s] === undefined) entry[s] = now;
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status', 'disabled'] });
  document.addEventListener('click', (e) => {
    if (e.target instanceof Element && e.target.closest('[data-testid=run]') && t.pressed === null) t.pressed = performance.now();
  }, true);
})();`;

async function ensureBuild(): Promise<void> {
  if (!values.build && existsSync(join(outDir, 'index.html'))) {
    console.log(`Using the build in ${outDir} (pass --build to rebuild).`);
    return;
  }
  const t0 = Date.now();
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  console.log(`Built into ${outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s.`);
}

const s = (ms: number | null | undefined) => (ms === null || ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);

async function main(): Promise<void> {
  await ensureBuild();
  const server = await preview({ build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const totals: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      // A fresh browser per run: no HTTP cache, no stored backend probe.
      const chrome = await launchChromium({ webgpu: values.webgpu });
      try {
        const page = await (await chrome.browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
        page.setDefaultTimeout(600_000);
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.addInitScript({ content: RECORD_TIMELINE });
        await page.goto(url);
        await page.waitForFunction(() => {
          const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
          return b !== null && !b.disabled;
        });
        const picked = await page.locator('input[name=backend]:checked').getAttribute('value');
        if (picked !== backend) await page.locator(`input[name=backend][value=${backend}]`).check();
        await page.getByTestId('run').click();
        await page.waitForFunction(() => (window as unknown as { __timeline: Timeline }).__timeline.done !== null, null, { timeout: 900_000, polling: 200 });
        const t = await page.evaluate(() => {
          const tl = (window as unknown as { __timeline: Timeline }).__timeline;
          tl.threads = document.querySelector('[data-testid=cap-threads]')?.textContent ?? null;
          tl.recommended = document.querySelector('[data-testid=cap-backend]')?.textContent ?? null;
          tl.elapsedMs = Number(document.querySelector('[data-testid=run-status]')?.getAttribute('data-elapsed-ms')) || null;
          return tl;
        });
        console.log(`\nrun ${i + 1}: ${t.status} — default experiment on ${backend} (form default ${picked}; recommended ${t.recommended}; WASM threads ${t.threads})`);
        console.log(`  Run pressable ${s(t.ready)} · pressed ${s(t.pressed)} · running ${s(t.running)} · complete ${s(t.done)} (run alone ${s(t.elapsedMs)})`);
        for (const [id, r] of Object.entries(t.rungs)) {
          const load = r.loading !== undefined && r.scoring !== undefined ? r.scoring - r.loading : null;
          const score = r.scoring !== undefined && r.done !== undefined ? r.done - r.scoring : null;
          console.log(`  ${id.padEnd(24)} landed ${s(r.done)}   (start ${s(r.loading)}, first items ${s(load)} after, scoring ${s(score)})`);
        }
        if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
        if (t.status === 'done' && t.done !== null) totals.push(t.done);
      } finally {
        await chrome.close();
      }
    }
  } finally {
    await server.close();
  }
  const sorted = [...totals].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null;
  console.log(`\nnavigation → default run complete on ${backend}: ${totals.map((v) => s(v)).join(', ')}; median ${s(median)} (target ≤ 20 s)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
