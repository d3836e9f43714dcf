/**
 * One run lifecycle the page, the store and the history agree on (issues 18 and 19), in the
 * built app (headless Chromium, WASM backend, two tiny bundled models): complete, cancel, rapid
 * Run/Cancel, a link opened mid-run (both answers), reloads, the page closed at nine moments
 * across a run (then resumed and compared with an uninterrupted run), and an engine worker
 * that stops answering or crashes mid-run.
 *
 * An init script wraps the page's Worker to count, from outside the app, the runs started and
 * the scored items the page received (what a closed page can at most have lost).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { ModelRun, RunResult } from '../../src/lib/results/types.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chooseModels, exportJson, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

/** The smallest and the largest bundled model: the larger one scores long enough to act mid-run. */
const MODELS = ['arith-l1-d12', 'arith-l4-d128'];
const DIGITS = [3, 4];
/**
 * 2 variants × 400 = 800 items per model, 25 batches of at most 32: the larger model scores
 * for about 10 s here, long enough to act while it runs even when the machine is busy.
 */
const PER_VARIANT = 400;
const ITEMS_PER_MODEL = DIGITS.length * PER_VARIANT;
/**
 * Mid-run actions happen while the first model scores (items shown ≥ MID: its first batches
 * have reached the page). After a model finishes, the charts redraw, and on a busy machine that
 * held the page for seconds while the worker went on, so the second model's progress was shown
 * too late to act on while it still ran.
 */
const MID = 64;

let chrome: LaunchedBrowser;
/** The uninterrupted run every other run of the spec is compared with. */
let clean: RunResult;
let link = '';

interface Probe {
  runsStarted: number;
  received: number;
  maxBatch: number;
}

/** Counts what crosses the worker boundary, from outside the app. */
function probeScript(): void {
  const w = window as unknown as { __probe: Probe; Worker: typeof Worker };
  w.__probe = { runsStarted: 0, received: 0, maxBatch: 0 };
  (w as unknown as { __workers: Worker[] }).__workers = [];
  const Original = w.Worker;
  w.Worker = class extends Original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      (w as unknown as { __workers: Worker[] }).__workers.push(this);
      this.addEventListener('message', (e: MessageEvent) => {
        const ev = e.data?.type === 'event' ? e.data.event : null;
        if (ev?.type === 'batch') {
          w.__probe.received += ev.items.length;
          w.__probe.maxBatch = Math.max(w.__probe.maxBatch, ev.items.length);
        }
      });
    }
    override postMessage(msg: unknown, transfer?: unknown): void {
      if ((msg as { type?: string })?.type === 'run') w.__probe.runsStarted++;
      super.postMessage(msg, transfer as Transferable[]);
    }
  };
}

async function newContext(): Promise<BrowserContext> {
  const ctx = await chrome.browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await ctx.addInitScript(probeScript);
  return ctx;
}

async function open(ctx: BrowserContext, url = inject('baseUrl')): Promise<{ page: Page; errors: string[] }> {
  const page = await ctx.newPage();
  page.setDefaultTimeout(120_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(url);
  await page.waitForFunction(() => {
    const b = document.querySelector<HTMLButtonElement>('[data-testid=run]');
    return b !== null && !b.disabled;
  });
  return { page, errors };
}

async function setupSpec(page: Page): Promise<void> {
  await chooseModels(page, MODELS);
  await setItemsPerVariant(page, PER_VARIANT);
  for (const box of await page.locator('input[name=digits]').all()) await box.setChecked(DIGITS.includes(Number(await box.getAttribute('value'))));
}

interface SavedRecord {
  id: string;
  status: string;
  modelStatuses: string[];
  /** Distinct items saved (finished models' and batches'). */
  items: number;
}

/** Every run record in IndexedDB, read directly (not through the app). */
function savedRecords(page: Page): Promise<SavedRecord[]> {
  return page.evaluate(
    () =>
      new Promise<SavedRecord[]>((resolve, reject) => {
        const req = indexedDB.open('emergence-lab');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction(['runs', 'models', 'batches']);
          const runs = tx.objectStore('runs').getAll();
          const models = tx.objectStore('models').getAll();
          const batches = tx.objectStore('batches').getAll();
          tx.oncomplete = () => {
            db.close();
            resolve(
              (runs.result as { id: string; status: string; createdAt: string }[])
                .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1))
                .map((r) => {
                  const ms = (models.result as { runId: string; slot: number; model: { id: string; status: string; items: { id: string }[] } }[]).filter((m) => m.runId === r.id).sort((a, b) => a.slot - b.slot);
                  const ids = new Set<string>();
                  for (const m of ms) for (const i of m.model.items) ids.add(`${m.model.id}|${i.id}`);
                  for (const b of batches.result as { runId: string; modelId: string; items: { id: string }[] }[]) if (b.runId === r.id) for (const i of b.items) ids.add(`${b.modelId}|${i.id}`);
                  return { id: r.id, status: r.status, modelStatuses: ms.map((m) => m.model.status), items: ids.size };
                }),
            );
          };
        };
      }),
  );
}

/** The history panel's statuses, oldest first. */
async function historyStatuses(page: Page): Promise<string[]> {
  const rows = await page.$$eval('[data-testid=saved-run]', (lis) => lis.map((li) => li.getAttribute('data-status') ?? ''));
  return rows.reverse();
}

function probe(page: Page): Promise<Probe> {
  return page.evaluate(() => (window as unknown as { __probe: Probe }).__probe);
}

/** Results without what legitimately differs between two runs of one spec (timings, dates, runtime). */
function comparable(r: RunResult) {
  return { spec: r.spec, models: r.models.map((m: ModelRun) => ({ ...m, loadMs: 0, scoreMs: 0 })), emergence: r.emergence };
}

async function exported(page: Page): Promise<RunResult> {
  return JSON.parse((await exportJson(page)).text) as RunResult;
}

const RUNG_ORDER = ['waiting', 'loading', 'scoring', 'done'];

/**
 * Wait until the rung of a model has this status (and some items done). A short state (loading
 * a tiny model) can pass between two polls: `orLater` then accepts the states after it, and
 * the caller reports what the page showed.
 */
async function waitForRung(page: Page, model: string, status: string, minItems = 0, orLater = false): Promise<void> {
  await page.waitForFunction(
    ([id, s, n, later, order]) => {
      const r = document.querySelector(`[data-testid=rung][data-model="arith/${id}"]`);
      const now = r?.getAttribute('data-status') ?? '';
      if (now === s && Number(r?.getAttribute('data-items-done')) >= Number(n)) return true;
      return Boolean(later) && (order as string[]).indexOf(now) > (order as string[]).indexOf(String(s));
    },
    [model, status, minItems, orLater, RUNG_ORDER] as const,
    { polling: 'raf', timeout: 300_000 },
  );
}

type Act = { kind: 'cancel' } | { kind: 'hash'; hash: string } | { kind: 'terminate' } | { kind: 'crash' } | { kind: 'open-oldest' };

/**
 * The moment the rung of `model` shows `status` with at least `minItems` items, act in the page
 * in that same task (a click from the test would come a round trip later).
 */
/** The page shows the previous run's "failed" until the new one starts: wait for that to change first. */
async function leftFailed(page: Page): Promise<void> {
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') !== 'failed', null, { polling: 'raf', timeout: 60_000 });
}

async function actWhen(page: Page, model: string, status: string, minItems: number, act: Act): Promise<void> {
  await page.waitForFunction(
    ([id, s, n, a]) => {
      // '*': any model of the run.
      const rungs = [...document.querySelectorAll('[data-testid=rung]')].filter((r) => id === '*' || r.getAttribute('data-model') === `arith/${id}`);
      if (!rungs.some((r) => r.getAttribute('data-status') === s && Number(r.getAttribute('data-items-done')) >= Number(n))) return false;
      const todo = a as Act;
      if (todo.kind === 'cancel') document.querySelector<HTMLButtonElement>('[data-testid=cancel]')!.click();
      else if (todo.kind === 'hash') location.hash = todo.hash;
      // Terminated from the page: no event reaches the lab, the worker just stops answering.
      else if (todo.kind === 'terminate') (window as unknown as { __workers: Worker[] }).__workers.forEach((w) => w.terminate());
      // What the browser fires at the page's Worker when its script dies of an uncaught error.
      else if (todo.kind === 'crash') (window as unknown as { __workers: Worker[] }).__workers.forEach((w) => w.dispatchEvent(new ErrorEvent('error', { message: 'simulated crash', cancelable: true })));
      else [...document.querySelectorAll<HTMLButtonElement>('[data-testid=saved-run] [data-testid=saved-open]')].at(-1)!.click();
      return true;
    },
    [model, status, minItems, act] as const,
    { polling: 'raf', timeout: 300_000 },
  );
}

beforeAll(async () => {
  chrome = await launchChromium({ webgpu: false });
});

afterAll(async () => {
  await chrome?.close();
});

describe('run lifecycle and durable saves (WASM)', () => {
  it('complete: the page says done only once the record is committed; the history says done', async () => {
    const ctx = await newContext();
    const { page, errors } = await open(ctx);
    await setupSpec(page);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    // Read at once: the record was committed before the page said done.
    const [record] = await savedRecords(page);
    expect(record).toMatchObject({ status: 'done', modelStatuses: ['done', 'done'], items: 2 * ITEMS_PER_MODEL });
    expect(await historyStatuses(page)).toEqual(['done']);
    clean = await exported(page);
    expect(clean.models.map((m) => m.items.length)).toEqual([ITEMS_PER_MODEL, ITEMS_PER_MODEL]);
    await page.getByTestId('share-link').click();
    link = await page.getByTestId('share-url').inputValue();
    // After a reload: still done, nothing offered to resume.
    await page.reload();
    await page.getByTestId('saved-run').first().waitFor();
    expect(await historyStatuses(page)).toEqual(['done']);
    expect(await page.getByTestId('resume-prompt').count()).toBe(0);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('cancel: saved as cancelled with what was kept, counted in words; Resume from the history gives the clean run', async () => {
    const ctx = await newContext();
    const { page, errors } = await open(ctx);
    await setupSpec(page);
    await page.getByTestId('run').click();
    await actWhen(page, MODELS[0], 'scoring', MID, { kind: 'cancel' });
    expect(await waitForRunEnd(page)).toBe('cancelled');
    // The worker may be ahead of what the page shows: the cancel lands in model 1 or model 2.
    const [record] = await savedRecords(page);
    const finished = record.modelStatuses.filter((m) => m === 'done').length;
    expect(await page.getByTestId('run-status').textContent()).toMatch(finished === 1 ? /; 1 model finished, saved with the items scored so far/ : /; 0 models finished, saved with the items scored so far/);
    expect(record.status).toBe('cancelled');
    expect(record.modelStatuses.at(-1)).toBe('cancelled');
    expect(record.items).toBeGreaterThanOrEqual(MID);
    await page.waitForFunction(() => document.querySelector('[data-testid=saved-run]')?.getAttribute('data-status') === 'cancelled');
    // Reload: still cancelled (not interrupted, not running), and resumable from the history.
    await page.reload();
    await page.getByTestId('saved-run').first().waitFor();
    expect(await historyStatuses(page)).toEqual(['cancelled']);
    const before = await probe(page);
    await page.getByTestId('saved-resume').click();
    expect(await waitForRunEnd(page)).toBe('done');
    const resumed = await exported(page);
    expect(comparable(resumed)).toEqual(comparable(clean));
    // Only what the cancelled run had not scored was scored again.
    expect((await probe(page)).received - before.received).toBe(2 * ITEMS_PER_MODEL - record.items);
    expect(await historyStatuses(page)).toEqual(['done']);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('rapid Run/Cancel (48 clicks): every record ends done or cancelled as it happened, none says running; the next run equals the clean one', async () => {
    const ctx = await newContext();
    const { page, errors } = await open(ctx);
    await setupSpec(page);
    // Clicks as fast as the page takes them (disabled buttons ignore theirs): at least 48, and
    // on until 8 runs have started.
    const clicks = await page.evaluate(async () => {
      const click = (id: string) => document.querySelector<HTMLButtonElement>(`[data-testid=${id}]`)!.click();
      const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const probe = (window as unknown as { __probe: Probe }).__probe;
      let i = 0;
      for (; i < 400 && (i < 24 || probe.runsStarted < 8); i++) {
        click('run');
        await pause(i % 3 === 0 ? 5 : 60);
        click('cancel');
        await pause(i % 4 === 0 ? 0 : 40);
      }
      return 2 * i;
    });
    expect(clicks).toBeGreaterThanOrEqual(48);
    await waitForRunEnd(page);
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.getAttribute('data-phase') !== 'finishing');
    const started = (await probe(page)).runsStarted;
    expect(started).toBeGreaterThan(3);
    const records = await savedRecords(page);
    expect(records).toHaveLength(started);
    for (const r of records) {
      // The status says what happened: done when every model finished, cancelled when one stopped.
      if (r.modelStatuses.every((s) => s === 'done')) expect(r.status, r.id).toBe('done');
      else expect([r.status, r.modelStatuses.includes('cancelled')], r.id).toEqual(['cancelled', true]);
    }
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=saved-run]').length === n, started);
    const shown = await historyStatuses(page);
    expect(shown).toEqual(records.map((r) => r.status));
    expect(shown).not.toContain('running');
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(comparable(await exported(page))).toEqual(comparable(clean));
    console.log(`rapid Run/Cancel: ${clicks} clicks, ${started} runs started: ${records.map((r) => r.status).join(', ')}`);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('a link opened mid-run asks first: in the background the run finishes and is saved; cancelled, it is saved as cancelled', async () => {
    const ctx = await newContext();
    // The link alone: its spec fills the form, read-only until "Edit settings".
    const { page, errors } = await open(ctx, link);
    await page.getByTestId('origin-panel').waitFor();
    expect(await page.inputValue('#f-per-variant')).toBe(String(PER_VARIANT));
    expect(await page.locator('#f-per-variant').isDisabled()).toBe(true);
    await page.getByTestId('edit-settings').click();
    expect(await page.locator('#f-per-variant').isDisabled()).toBe(false);
    const hash = new URL(link).hash;

    // 1. Keep it running in the background.
    await page.evaluate(() => (location.hash = '#lab'));
    await page.getByTestId('run').click();
    await actWhen(page, MODELS[0], 'scoring', MID, { kind: 'hash', hash });
    await page.getByTestId('open-request').waitFor();
    expect(await page.getByTestId('run-status').getAttribute('data-status')).not.toBe('viewing');
    await page.getByTestId('open-background').click();
    await page.getByTestId('background-run').waitFor();
    expect(await page.getByTestId('origin-panel').getAttribute('data-origin')).toBe('link');
    await page.waitForFunction(() => document.querySelector('[data-testid=background-run]')?.getAttribute('data-status') === 'done', null, { timeout: 300_000 });
    let records = await savedRecords(page);
    expect(records.map((r) => r.status)).toEqual(['done']);
    await page.getByTestId('show-live-run').click();
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('done');
    expect(comparable(await exported(page))).toEqual(comparable(clean));

    // 2. Cancel it.
    await page.evaluate(() => (location.hash = '#lab'));
    await page.getByTestId('run').click();
    await actWhen(page, MODELS[0], 'scoring', MID, { kind: 'hash', hash });
    // Answer in the page the moment the question shows (no round trip through the test runner).
    await page.waitForFunction(() => {
      const b = document.querySelector<HTMLButtonElement>('[data-testid=open-cancel]');
      b?.click();
      return b !== null;
    }, null, { polling: 'raf', timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.getAttribute('data-status') === 'viewing');
    records = await savedRecords(page);
    // On a fast machine the worker may finish the run before the cancel reaches it (the page's
    // thread can be busy drawing charts meanwhile): then what happened is "done", and the
    // history must say exactly that. Either way nothing says "running".
    const second = records[1]?.status;
    console.log(`link opened mid-run, answered "cancel": the run ended ${second}`);
    expect(['cancelled', 'done']).toContain(second);
    expect(records.map((r) => r.status)).toEqual(['done', second]);
    expect(await historyStatuses(page)).toEqual(['done', second]);
    expect(await page.getByTestId('background-run').count()).toBe(0);
    if (second === 'done') {
      expect(errors).toEqual([]);
      await ctx.close();
      return;
    }

    // 3. Stay: nothing changes.
    await page.getByTestId('saved-resume').click();
    // The cancelled run may resume at either model.
    await actWhen(page, '*', 'scoring', 1, { kind: 'open-oldest' });
    await page.getByTestId('open-stay').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await historyStatuses(page)).toEqual(['done', 'done']);
    expect(comparable(await exported(page))).toEqual(comparable(clean));
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('reload mid-run: interrupted, resumable; resumed it equals the clean run', async () => {
    const ctx = await newContext();
    const { page, errors } = await open(ctx);
    await setupSpec(page);
    await page.getByTestId('run').click();
    await waitForRung(page, MODELS[0], 'done');
    await page.reload();
    await page.getByTestId('resume-prompt').waitFor();
    expect(await historyStatuses(page)).toEqual(['interrupted']);
    const [record] = await savedRecords(page);
    expect(record.status).toBe('running');
    expect(record.items).toBeGreaterThanOrEqual(ITEMS_PER_MODEL);
    await page.getByTestId('resume-run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(comparable(await exported(page))).toEqual(comparable(clean));
    await page.reload();
    await page.getByTestId('saved-run').first().waitFor();
    expect(await historyStatuses(page)).toEqual(['done']);
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it('the page closed at nine moments across a run loses at most the batch in flight; resumed, each equals the clean run', async () => {
    type Moment = { name: string; wait: (page: Page) => Promise<void>; holdFinalWrite?: boolean };
    const phase = (p: string) => async (page: Page) => {
      await page.waitForFunction((x) => document.querySelector('[data-testid=run-status]')?.getAttribute('data-phase') === x, p, { polling: 'raf', timeout: 300_000 });
    };
    const moments: Moment[] = [
      { name: 'record created, nothing scored', wait: phase('running') },
      { name: 'model 1 loading', wait: (p) => waitForRung(p, MODELS[0], 'loading', 0, true) },
      { name: 'model 1 after its first batch', wait: (p) => waitForRung(p, MODELS[0], 'scoring', 1, true) },
      { name: 'model 1 half scored', wait: (p) => waitForRung(p, MODELS[0], 'scoring', ITEMS_PER_MODEL / 2, true) },
      { name: 'model 1 just done', wait: (p) => waitForRung(p, MODELS[0], 'done') },
      { name: 'model 2 after its first batch', wait: (p) => waitForRung(p, MODELS[1], 'scoring', 1, true) },
      { name: 'right after the last model finished', wait: (p) => waitForRung(p, MODELS[1], 'done') },
      { name: 'during the final write', wait: phase('finishing'), holdFinalWrite: true },
      { name: 'just after done', wait: phase('done') },
    ];
    const report: string[] = [];
    for (const m of moments) {
      const ctx = await newContext();
      if (m.holdFinalWrite) {
        // Hold the final transaction (the third over runs+models+batches: after both models'):
        // a transaction over 'runs' created just before it, kept busy, makes it wait.
        await ctx.addInitScript(() => {
          let count = 0;
          const original = IDBDatabase.prototype.transaction;
          IDBDatabase.prototype.transaction = function (this: IDBDatabase, names: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) {
            if (mode === 'readwrite' && Array.isArray(names) && names.length === 3 && ++count === 3) {
              const blocker = original.call(this, ['runs'], 'readwrite');
              const spin = () => (blocker.objectStore('runs').count().onsuccess = spin);
              spin();
            }
            return original.call(this, names, mode, options);
          } as typeof original;
        });
      }
      const first = await open(ctx);
      await setupSpec(first.page);
      await first.page.getByTestId('run').click();
      await m.wait(first.page);
      const atClose = await probe(first.page);
      const shownStatus = await first.page.getByTestId('run-status').getAttribute('data-status');
      const rungs = await first.page.$$eval('[data-testid=rung]', (rs) => rs.map((r) => `${r.getAttribute('data-status')}:${r.getAttribute('data-items-done')}`).join(' '));
      // As a visitor closes a tab: pagehide runs (the lab flushes there), then the page is gone.
      const closed = first.page.waitForEvent('close');
      await first.page.close({ runBeforeUnload: true });
      await closed;

      const second = await open(ctx);
      await second.page.getByTestId('saved-run').first().waitFor();
      const [record] = await savedRecords(second.page);
      const lost = Math.max(0, atClose.received - record.items);
      report.push(`${m.name}: page showed ${shownStatus} (${rungs}); record ${record.status}, ${record.items} items saved of ${atClose.received} received; lost ${lost} (batch ≤ ${atClose.maxBatch})`);
      expect(lost, m.name).toBeLessThanOrEqual(Math.max(atClose.maxBatch, 0));
      if (m.holdFinalWrite) {
        expect(shownStatus).toBe('finishing');
        expect(record.status).toBe('running');
      }
      const statuses = await historyStatuses(second.page);
      if (record.status === 'done') expect(statuses).toEqual(['done']);
      else {
        expect(statuses).toEqual(['interrupted']);
        const before = await probe(second.page);
        await second.page.getByTestId('resume-run').click();
        expect(await waitForRunEnd(second.page)).toBe('done');
        const rescored = (await probe(second.page)).received - before.received;
        expect(rescored, m.name).toBe(2 * ITEMS_PER_MODEL - record.items);
        report[report.length - 1] += `; resume scored ${rescored}`;
      }
      // Open the saved run (resumed or finished) and compare it with the clean one.
      await second.page.getByTestId('saved-open').first().click();
      await second.page.getByTestId('origin-panel').waitFor();
      expect(comparable(await exported(second.page)), m.name).toEqual(comparable(clean));
      expect(await historyStatuses(second.page)).toEqual(['done']);
      expect([...first.errors, ...second.errors]).toEqual([]);
      await ctx.close();
    }
    console.log(`closing the page mid-run:\n  ${report.join('\n  ')}`);
  }, 1_800_000);

  it('a worker that stops answering or crashes mid-run: the run fails naming model and phase, saved batches stay, retry on WASM works', async () => {
    for (const how of ['terminate', 'crash'] as const) {
      const ctx = await newContext();
      const { page, errors } = await open(ctx);
      await setupSpec(page);
      await page.getByTestId('run').click();
      await actWhen(page, MODELS[0], 'scoring', MID, { kind: how });
      expect(await waitForRunEnd(page, 180_000)).toBe('failed');
      const text = await page.getByTestId('run-status').textContent();
      expect(text).toMatch(how === 'terminate' ? /stopped answering while scoring arith\/arith-l1-d12 \(\d+ of 800 items done/ : /crashed while scoring arith\/arith-l1-d12.*simulated crash/);
      expect(text).toMatch(/Items saved so far are kept/);
      const [record] = await savedRecords(page);
      expect(record.status).toBe('failed');
      expect(record.items).toBeGreaterThanOrEqual(32);
      await page.waitForFunction(() => document.querySelector('[data-testid=saved-run]')?.getAttribute('data-status') === 'failed');
      expect(await page.getByTestId('saved-error').textContent()).toMatch(/arith\/arith-l1-d12/);
      if (how === 'terminate') {
        await page.getByTestId('retry-wasm').click();
        await leftFailed(page);
        expect(await waitForRunEnd(page)).toBe('done');
        expect(comparable(await exported(page))).toEqual(comparable(clean));
        expect(await historyStatuses(page)).toEqual(['failed', 'done']);
      } else {
        // The failed run resumes from its saved batches, on a fresh worker.
        await page.getByTestId('saved-resume').click();
        await leftFailed(page);
        const status = await waitForRunEnd(page);
        expect(status, (await page.getByTestId('run-status').textContent()) ?? '').toBe('done');
        expect(comparable(await exported(page))).toEqual(comparable(clean));
        expect(await historyStatuses(page)).toEqual(['done']);
      }
      expect(errors.filter((e) => !/simulated crash/.test(e))).toEqual([]);
      await ctx.close();
    }
  }, 900_000);
});
