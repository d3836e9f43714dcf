/**
 * The lab page end to end in headless Chromium, on WebGPU (SwiftShader without a GPU) and on
 * WASM: load, Run, charts whose accessible tables carry exactly the exported JSON's numbers,
 * the JSON equal to a Node run of the same spec, resolution and item explorer, screenshots.
 * Chart values are read from the data tables' data-* attributes, never from pixels.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createNodeEngine, loadLadder, nodeEnvironment, REPO_ROOT } from '../../src/cli/node-engine.ts';
import { defaultSpec, paramsOfBundled } from '../../src/lib/catalog/ladder.ts';
import { runResultJson } from '../../src/lib/charts/export.ts';
import { modelsAtResolution } from '../../src/lib/charts/resolution.ts';
import { GENERATION_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import type { GenerationItemRecord, ItemRecord, ModelRun, RunResult } from '../../src/lib/results/types.ts';
import { taskVariants } from '../../src/lib/tasks/registry.ts';
import { runExperiment } from '../../src/lib/run/runner.ts';
import { computeEmergence } from '../../src/lib/results/emergence.ts';
import type { ExperimentSpec } from '../../src/lib/spec/schema.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chartRows, chooseModels, exportJson, openLab, SCREENSHOTS, setItemsPerVariant, textOf, waitForRunEnd } from '../helpers/lab-page.ts';

const ladder = await loadLadder('arith');
const POLL = { timeout: 20_000, interval: 100 };
function variantsOf(spec: ExperimentSpec): string[] {
  return taskVariants(spec.task);
}

/** The lab's arithmetic runs hold generation items only. */
const gen = (items: readonly ItemRecord[]): GenerationItemRecord[] => items as GenerationItemRecord[];

/** Every chart shows one point per finished model per variant, with the aggregates of `models`. */
export async function expectChartsToMatch(page: Page, spec: ExperimentSpec, models: ModelRun[]): Promise<number> {
  const rows = await chartRows(page);
  const panels = await page.$$eval('figure[data-panel]', (fs) =>
    fs.map((f) => ({ id: f.getAttribute('data-panel')!, points: Number(f.querySelector('canvas')!.getAttribute('data-points')) })),
  );
  expect(panels.length).toBeGreaterThan(0);
  const done = models.filter((m) => m.status === 'done');
  const variants = variantsOf(spec);
  for (const panel of panels) {
    const metrics = panel.id === 'mirage' ? ['exact_match', 'predicted_exact_match'] : [panel.id];
    const mine = rows.filter((r) => r.panel === panel.id);
    expect(mine, panel.id).toHaveLength(done.length * variants.length * metrics.length);
    // The chart was given exactly the points its table lists.
    expect(panel.points, panel.id).toBe(mine.length);
    for (const metric of metrics) {
      for (const m of done) {
        for (const v of variants) {
          const row = mine.filter((r) => r.model === m.id && r.variant === v && r.metric === metric);
          expect(row, `${panel.id} ${m.id} ${v} ${metric}`).toHaveLength(1);
          const agg = m.aggregates.variants.find((x) => x.variant === v)!.metrics[metric];
          // Within 1e-12, not bit for bit: when the test recomputes aggregates in Node (a resolution's
          // first k items), Chromium's Math.exp/log/pow differ from Node's in the last bit for ~10%
          // of inputs (measured 2026-11-30: exp 19,578 of 200,000 values, log 8,199; sqrt none).
          expect(row[0].n).toBe(agg.n);
          [row[0].mean, row[0].lo, row[0].hi].forEach((x, i) => {
            const want = [agg.mean, agg.lo, agg.hi][i];
            if (x === null || want === null || !Number.isFinite(want)) expect(x).toEqual(want);
            else expect(Math.abs(x - want), `${panel.id} ${m.id} ${v} ${metric}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want)));
          });
        }
      }
    }
  }
  return panels.length;
}

/** A Node (onnxruntime-node, CPU) run of the spec the browser ran. */
async function nodeRun(spec: ExperimentSpec): Promise<RunResult> {
  const cpuSpec: ExperimentSpec = { ...spec, models: spec.models.map((m) => ({ ...m, device: 'cpu' })) };
  return runExperiment(cpuSpec, createNodeEngine(), { env: nodeEnvironment(), paramsOf: (ref) => paramsOfBundled(ladder, ref.id) });
}

const DISCRETE = new Set(['exact_match', 'token_edit_distance', 'char_edit_distance', 'digit_accuracy', 'greedy_consistency']);

/** Browser results equal Node's: outputs and discrete metrics exactly, log-prob-based values within tol per token. */
function expectSameAsNode(browser: RunResult, node: RunResult, tol: number): { maxLogprobDiff: number } {
  expect(browser.format).toBe(node.format);
  expect(browser.version).toBe(node.version);
  expect({ ...browser.spec, models: browser.spec.models.map((m) => ({ ...m, device: 'cpu' })) }).toEqual(node.spec);
  expect(browser.models.map((m) => [m.id, m.params, m.status])).toEqual(node.models.map((m) => [m.id, m.params, m.status]));
  let maxLogprobDiff = 0;
  browser.models.forEach((bm, mi) => {
    const nm = node.models[mi];
    expect(bm.items.map((i) => i.id)).toEqual(nm.items.map((i) => i.id));
    gen(bm.items).forEach((bi, ii) => {
      const ni = gen(nm.items)[ii];
      const where = `${bm.id} ${bi.id}`;
      expect([bi.prompt, bi.target, bi.output_text], where).toEqual([ni.prompt, ni.target, ni.output_text]);
      expect(bi.target_token_ids, where).toEqual(ni.target_token_ids);
      expect(bi.output_token_ids, where).toEqual(ni.output_token_ids);
      bi.target_logprobs.forEach((lp, j) => (maxLogprobDiff = Math.max(maxLogprobDiff, Math.abs(lp - ni.target_logprobs[j]))));
      const L = bi.target_token_ids.length;
      for (const id of GENERATION_METRIC_IDS) {
        const [b, n] = [bi.metrics[id as keyof typeof bi.metrics], ni.metrics[id as keyof typeof ni.metrics]];
        if (DISCRETE.has(id)) expect(b, `${where} ${id}`).toBe(n);
        else expect(Math.abs((b as number) - (n as number)), `${where} ${id}`).toBeLessThanOrEqual(tol * L);
      }
    });
    bm.aggregates.variants.forEach((bv, vi) => {
      const nv = nm.aggregates.variants[vi];
      expect([bv.variant, bv.n]).toEqual([nv.variant, nv.n]);
      for (const id of GENERATION_METRIC_IDS) {
        const [b, n] = [bv.metrics[id], nv.metrics[id]];
        if (DISCRETE.has(id)) expect(b, `${bm.id} ${bv.variant} ${id}`).toEqual(n);
        else {
          const L = Math.max(...gen(bm.items).filter((i) => i.variant === bv.variant).map((i) => i.target_token_ids.length));
          for (const k of ['mean', 'lo', 'hi'] as const) expect(Math.abs(b[k] - n[k]), `${bm.id} ${bv.variant} ${id} ${k}`).toBeLessThanOrEqual(2 * tol * L);
        }
      }
    });
  });
  expect(maxLogprobDiff).toBeLessThan(tol);
  // Emergence is computed from the aggregates, so discontinuous metrics (identical inputs) give identical scores.
  expect(browser.emergence).toEqual(computeEmergence(browser.models));
  // The measures are computed from the items with the run's seed: identical for discrete metrics.
  for (const [variant, vm] of Object.entries(node.emergence_measures!)) {
    for (const [metric, m] of Object.entries(vm.metrics)) if (DISCRETE.has(metric)) expect(browser.emergence_measures![variant].metrics[metric], `measures ${variant} ${metric}`).toEqual(m);
  }
  for (const [variant, scores] of Object.entries(node.emergence)) {
    for (const [metric, score] of Object.entries(scores)) {
      if (DISCRETE.has(metric)) expect(browser.emergence[variant][metric], `emergence ${variant} ${metric}`).toBe(score);
      else expect(Number.isFinite(browser.emergence[variant][metric])).toBe(true);
    }
  }
  return { maxLogprobDiff };
}

async function showAllPanels(page: Page): Promise<void> {
  await page.locator('details.chooser > summary').click();
  for (const id of [...GENERATION_METRIC_IDS, 'mirage']) await page.getByTestId(`panel-toggle-${id}`).setChecked(true);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

// SwiftShader runs WebGPU on the CPU and is slow (about 30 s per bundled model here), so the
// WebGPU pass runs three rungs of the ladder (smallest, middle, largest) with 5 items per digit
// count; the WASM pass runs the default experiment itself.
const SLOW = 900_000;
// Among the default experiment's rungs (the ladder also lists rungs the default leaves out).
const byScale = defaultSpec(ladder, 'cpu').models.map((m) => m.id.split('/')[1]);
const threeRungs = [byScale[0], byScale[Math.floor(byScale.length / 2)], byScale[byScale.length - 1]];
describe.each([
  { backend: 'webgpu', webgpu: true, tol: 2e-3, perVariant: 5, models: threeRungs },
  { backend: 'wasm', webgpu: false, tol: 1e-4, perVariant: null, models: null },
] as const)('the lab on $backend', ({ backend, webgpu, tol, perVariant, models }) => {
  let chrome: LaunchedBrowser;
  let page: Page;
  let errors: string[];
  let exported: RunResult;

  beforeAll(async () => {
    chrome = await launchChromium({ webgpu });
    ({ page, errors } = await openLab(chrome));
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('loads the default experiment, runs it from the keyboard, and charts every model × variant with the exported numbers', async () => {
    // WASM is recommended both without WebGPU and on SwiftShader (a software adapter): WebGPU is picked by hand.
    expect(await page.getByTestId('cap-backend').textContent()).toBe('WASM (CPU)');
    expect(await page.locator('input[name=backend]:checked').getAttribute('value')).toBe('wasm');
    if (backend === 'webgpu') await page.locator('input[name=backend][value=webgpu]').check();
    expect(await page.locator('input[name=model]:checked').count()).toBe(defaultSpec(ladder, backend).models.length);
    expect(await page.getByTestId('results').textContent()).toContain('Schaeffer, Miranda & Koyejo (2023)');
    if (perVariant !== null) await setItemsPerVariant(page, perVariant);
    if (models !== null) await chooseModels(page, [...models]);
    const t0 = Date.now();
    await page.getByTestId('run').focus();
    await page.keyboard.press('Enter');
    expect(await waitForRunEnd(page)).toBe('done');
    const ms = Number(await page.getByTestId('run-status').getAttribute('data-elapsed-ms'));
    console.log(`[lab ${backend}] ${models?.length ?? defaultSpec(ladder, backend).models.length} models × ${5 * (perVariant ?? 40)} items: ${ms} ms in the page (${Date.now() - t0} ms wall)`);

    const { text, name } = await exportJson(page);
    expect(name).toMatch(/^emergence-run-add-.+\.json$/);
    exported = JSON.parse(text) as RunResult;
    expect(text).toBe(runResultJson(exported)); // the CLI's --out format, byte for byte
    const expectedSpec = defaultSpec(ladder, backend);
    if (perVariant !== null) expectedSpec.task.perVariant = perVariant;
    if (models !== null) expectedSpec.models = expectedSpec.models.filter((m) => (models as readonly string[]).includes(m.id.split('/')[1]));
    expect(exported.spec).toEqual(expectedSpec);
    expect(exported.env.backend).toBe(backend);
    expect(exported.models.every((m) => m.status === 'done')).toBe(true);

    await showAllPanels(page);
    expect(await expectChartsToMatch(page, exported.spec, exported.models)).toBe(GENERATION_METRIC_IDS.length + 1);
    // The emergence measures shown next to each panel are the run's: numbers or "undefined", never a sentinel.
    const shown = await page.$$eval('[data-testid^=measures-] .measure', (els) => els.map((e) => {
      const d = (e as HTMLElement).dataset;
      return { variant: d.variant!, metric: d.metric!, jumpShare: d.jumpShare!, breakthroughness: d.breakthroughness!, text: e.textContent ?? '' };
    }));
    expect(shown.length).toBeGreaterThan(0);
    const valueOf = (m: object) => ('value' in m ? String(m.value) : 'undefined');
    for (const s of shown) {
      const m = exported.emergence_measures![s.variant!].metrics[s.metric!];
      expect([s.jumpShare, s.breakthroughness]).toEqual([valueOf(m.jumpShare), valueOf(m.breakthroughness)]);
      expect(s.text).not.toMatch(/1\.0e\+6|1000000/);
    }
    expect(await page.getByTestId('interval-legend').textContent()).toMatch(/95% Wilson \(binary\) \/ BCa bootstrap \(continuous\) interval/);
    // "Was the jump predictable?" states its numbers (or why it cannot).
    expect(await page.getByTestId('prediction-text').textContent()).toMatch(/^(fit of per-token p on \d+ models|undefined — )/);
    expect(errors).toEqual([]);
  }, SLOW);

  it('the exported JSON equals a Node run of the same spec', async () => {
    const t0 = Date.now();
    const node = await nodeRun(exported.spec);
    const { maxLogprobDiff } = expectSameAsNode(exported, node, tol);
    console.log(`[lab ${backend}] Node run ${Date.now() - t0} ms; max |Δ log-prob| browser vs Node ${maxLogprobDiff.toExponential(2)}`);
  }, SLOW);

  it('the resolution control re-aggregates the first k items of each variant', async () => {
    const k = 5;
    const options = await page.getByTestId('resolution').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    if (!options.includes(String(k))) return; // fewer items than the smallest step: nothing to re-aggregate
    await page.getByTestId('resolution').selectOption(String(k));
    await expectChartsToMatch(page, exported.spec, modelsAtResolution(exported.models, k, exported.spec.bootstrapSeed));
    await page.getByTestId('resolution').selectOption('all');
    await expectChartsToMatch(page, exported.spec, exported.models);
  });

  it('a data-table row opens that model × variant in the item explorer, as text', async () => {
    const model = exported.models[2];
    const variant = 'add/3d';
    const figure = page.locator('figure[data-panel=exact_match]');
    await figure.locator('details > summary').click(); // open the chart's data table
    const row = figure.locator(`tr[data-model="${model.id}"][data-variant="${variant}"]`);
    await row.getByRole('button').click();
    const summary = page.getByTestId('explorer-summary');
    await expect.poll(() => summary.getAttribute('data-variant'), POLL).toBe(variant);
    expect(await summary.getAttribute('data-model')).toBe(model.id);
    const items = gen(model.items).filter((i) => i.variant === variant);
    expect(Number(await summary.getAttribute('data-count'))).toBe(items.length);
    const first = page.getByTestId('item-row').first();
    expect(await first.getAttribute('data-item')).toBe(items[0].id);
    const cells = await first.locator('td').allTextContents();
    expect(cells.slice(0, 4)).toEqual([items[0].id, items[0].prompt, items[0].target, items[0].output_text === '' ? '(empty)' : items[0].output_text]);
    // Focus moved to the explorer, for keyboard users.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('explorer-title');
    expect(errors).toEqual([]);
  });

  it('clicking a point on a chart opens that model × variant in the item explorer', async () => {
    const canvas = page.locator('figure[data-panel=token_edit_distance] canvas');
    await canvas.scrollIntoViewIfNeeded();
    const positions = JSON.parse((await canvas.getAttribute('data-positions'))!) as { x: number; y: number; model: string; variant: string }[];
    expect(positions).toHaveLength(Number(await canvas.getAttribute('data-points')));
    // A point with no other point within 10 px, so the click is unambiguous.
    const lonely = positions.find((p) => positions.every((q) => q === p || Math.hypot(q.x - p.x, q.y - p.y) > 10));
    expect(lonely, 'a point apart from the others').toBeDefined();
    await canvas.click({ position: { x: lonely!.x, y: lonely!.y } });
    const summary = page.getByTestId('explorer-summary');
    await expect.poll(() => summary.getAttribute('data-model'), POLL).toBe(lonely!.model);
    expect(await summary.getAttribute('data-variant')).toBe(lonely!.variant);
    expect(errors).toEqual([]);
  });

  if (!webgpu) {
    it('writes screenshots at 390 px and 1280 px, light and dark', async () => {
      for (const theme of ['light', 'dark'] as const) {
        // The first toggle leaves "follow the system" (light in headless Chromium) for an explicit theme.
        for (let i = 0; i < 2 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== theme; i++) {
          await page.getByTestId('theme-toggle').click();
        }
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(theme);
        expect(await page.getByTestId('theme-toggle').getAttribute('aria-pressed')).toBe(String(theme === 'dark'));
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          await page.waitForTimeout(300); // Chart.js resizes on a ResizeObserver tick
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          expect(overflow, `horizontal overflow at ${width}px`).toBeLessThanOrEqual(0);
          await screenshot(page, `lab-${width}-${theme}.png`);
        }
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      expect(errors).toEqual([]);
    });
  }
});

describe('the lab form, cancel and failures (WASM)', () => {
  let chrome: LaunchedBrowser;
  beforeAll(async () => {
    chrome = await launchChromium({ webgpu: false });
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('refuses settings out of range with a message next to the field', async () => {
    const { page, errors } = await openLab(chrome, 390);
    // One-column layout: the settings start collapsed below the results.
    await page.getByTestId('settings-toggle').click();
    const run = page.getByTestId('run');
    const cases: [string, string, string, RegExp][] = [
      ['#f-per-variant', '5000', 'error-perVariant', /at most 1000/],
      ['#f-per-variant', '', 'error-perVariant', /must be a number/],
      ['#f-seed', '-3', 'error-seed', /at least 0/],
      ['#f-kshot', '9', 'error-kShot', /at most 8/],
      ['#f-kshot', '2', 'error-kShot', /no k-shot form/],
    ];
    for (const [field, value, errorId, message] of cases) {
      await page.fill(field, value);
      await expect.poll(() => textOf(page, errorId), POLL).toMatch(message);
      expect(await page.locator(field).getAttribute('aria-invalid')).toBe('true');
      expect(await run.isDisabled()).toBe(true);
      await page.fill(field, field === '#f-per-variant' ? '40' : '0');
      await expect.poll(() => page.getByTestId(errorId).count(), POLL).toBe(0);
    }
    await page.getByRole('checkbox', { name: '1 digit', exact: true }).setChecked(false);
    await page.fill('#f-per-variant', '200');
    await expect.poll(() => textOf(page, 'error-perVariant'), POLL).toBeNull();
    await page.getByRole('checkbox', { name: '1 digit', exact: true }).setChecked(true);
    await expect.poll(() => textOf(page, 'error-perVariant'), POLL).toMatch(/Only 100 distinct 1-digit problems/);
    await page.fill('#f-per-variant', '40');
    await chooseModels(page, []);
    await expect.poll(() => textOf(page, 'error-models'), POLL).toMatch(/at least one model/);
    expect(await run.isDisabled()).toBe(true);
    await chooseModels(page, [byScale[0]]);
    await expect.poll(() => run.isDisabled(), POLL).toBe(false);
    expect(await page.getByTestId('run-status').getAttribute('data-status')).toBe('ready');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('Cancel stops the run, says so, and the page stays usable', async () => {
    const { page, errors } = await openLab(chrome);
    await page.getByTestId('run').click();
    // Cancel at once: the bundled models are fast, so waiting for one to finish would race the run's end.
    await page.getByTestId('cancel').click();
    expect(await waitForRunEnd(page)).toBe('cancelled');
    const statuses = await page.getByTestId('rung').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')));
    expect(statuses).toContain('cancelled');
    expect(statuses.filter((s) => s === 'done').length).toBeLessThan(statuses.length);
    expect(await page.getByTestId('run-status').textContent()).toMatch(/^Cancelled/);
    // Still usable: JSON exports, finished models (if any) are charted, and a new run completes.
    const { text } = await exportJson(page);
    const cancelled = JSON.parse(text) as RunResult;
    expect(cancelled.models.some((m) => m.status === 'cancelled')).toBe(true);
    if (cancelled.models.some((m) => m.status === 'done')) await expectChartsToMatch(page, cancelled.spec, cancelled.models);
    await chooseModels(page, [byScale[0]]);
    await setItemsPerVariant(page, 2);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    expect(await page.getByTestId('rung').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.context().close();
  }, SLOW);

  it('a model that fails to load shows its error on its rung while the others finish', async () => {
    const { page, errors } = await openLab(chrome);
    const broken = 'arith-l2-d32';
    const others = [byScale[0], byScale[byScale.length - 1]];
    await page.context().route(`**/models/arith/${broken}/onnx/model.onnx`, (route) => route.fulfill({ status: 404, body: 'not found' }));
    await chooseModels(page, [...others, broken]);
    await setItemsPerVariant(page, 2);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');
    const failed = page.locator(`[data-testid=rung][data-model="arith/${broken}"]`);
    expect(await failed.getAttribute('data-status')).toBe('error');
    expect(await failed.getByTestId('rung-error').textContent()).toContain(`arith/${broken}: could not be loaded`);
    for (const ok of others) {
      expect(await page.locator(`[data-testid=rung][data-model="arith/${ok}"]`).getAttribute('data-status')).toBe('done');
    }
    expect(await page.getByTestId('run-status').textContent()).toMatch(/1 model failed/);
    const { text } = await exportJson(page);
    const result = JSON.parse(text) as RunResult;
    expect(Object.fromEntries(result.models.map((m) => [m.id, m.status]))).toEqual({ [`arith/${others[0]}`]: 'done', [`arith/${broken}`]: 'error', [`arith/${others[1]}`]: 'done' });
    await expectChartsToMatch(page, result.spec, result.models);
    // The routed 404 is the only console error.
    expect(errors.filter((e) => !/404/.test(e))).toEqual([]);
    await page.context().close();
  }, SLOW);
});
