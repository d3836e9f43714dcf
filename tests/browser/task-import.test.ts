/**
 * Tasks visitors bring, in the page (headless Chromium, WebGPU on SwiftShader and WASM): a
 * BIG-bench file with target_scores is picked, run on the bundled ladder and charted under MC
 * grade, Brier score and p(correct); the item explorer lists each item's choices with the
 * model's probabilities; bad files leave a clear message and the page working; markup in a
 * task file stays text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../src/cli/node-engine.ts';
import { CHOICE_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import { parseRunFile } from '../../src/lib/share/run-file.ts';
import { parseTaskFile } from '../../src/lib/tasks/imported/parse.ts';
import { launchChromium, type LaunchedBrowser } from '../helpers/chromium.ts';
import { chartRows, chooseModels, exportJson, openLab, setItemsPerVariant, waitForRunEnd } from '../helpers/lab-page.ts';

const FIXTURE = join(REPO_ROOT, 'tests/fixtures/tasks/sums-choice.json');
const parsed = parseTaskFile(readFileSync(FIXTURE, 'utf8'), 'sums-choice.json');
const MODELS = ['arith-l1-d12', 'arith-l2-d32', 'arith-l3-d64'];

async function pickTaskFile(page: Page, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  await page.getByTestId('task-kind').selectOption('imported');
  await page.getByTestId('task-file').setInputFiles(file);
}

describe.each([
  { backend: 'wasm', webgpu: false },
  { backend: 'webgpu', webgpu: true },
] as const)('a BIG-bench task file on $backend', ({ backend, webgpu }) => {
  let chrome: LaunchedBrowser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    chrome = await launchChromium({ webgpu });
    ({ page, errors } = await openLab(chrome));
  });
  afterAll(async () => {
    await chrome?.close();
  });

  it('refuses bad files with a message naming the problem, and the page keeps working', async () => {
    const bad = [
      { text: '{"examples": [', pattern: /not valid JSON/ },
      { text: '{"name": "x"}', pattern: /no "examples" list/ },
      { text: '{"examples": [{"input": "1+1=", "target_scores": {"2": 0, "3": 0}}]}', pattern: /Example 0: every score in "target_scores" is 0/ },
      { text: '{"examples": [{"input": "1+1=", "target": "2"}, {"input": 7, "target": "3"}]}', pattern: /Example 1: "input" must be text/ },
    ];
    for (const { text, pattern } of bad) {
      await pickTaskFile(page, { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(text) });
      await expect.poll(() => page.getByTestId('task-file-error').textContent(), { timeout: 10_000 }).toMatch(pattern);
      expect(await page.getByTestId('task-file-info').count()).toBe(0);
    }
    // Without a task file the run is refused at the field, not started.
    expect(await page.getByTestId('run').isDisabled()).toBe(true);
  });

  it('runs the picked file on the ladder: MC grade beside Brier and p(correct), choices with probabilities in the explorer', async () => {
    if (webgpu) await page.locator('input[name=backend][value=webgpu]').check();
    else await page.locator('input[name=backend][value=wasm]').check();
    await pickTaskFile(page, { name: 'sums-choice.json', mimeType: 'application/json', buffer: readFileSync(FIXTURE) });
    await expect.poll(() => page.getByTestId('task-file-info').textContent(), { timeout: 10_000 }).toMatch(/8 examples,\s+8 multiple choice/);
    expect(await page.getByTestId('task-file-error').count()).toBe(0);
    await chooseModels(page, MODELS);
    await setItemsPerVariant(page, 8);
    await page.getByTestId('run').click();
    expect(await waitForRunEnd(page)).toBe('done');

    const { text } = await exportJson(page);
    const run = parseRunFile(text);
    expect(run.spec.task).toMatchObject({ kind: 'imported', name: parsed.data.name, hash: parsed.hash, perVariant: 8 });
    expect(run.task_data).toEqual(parsed.data);
    expect(run.spec.metrics).toEqual([...CHOICE_METRIC_IDS]);
    const rows = await chartRows(page);
    const panels = new Set(rows.map((r) => r.panel));
    for (const id of ['mc_grade', 'brier_score', 'prob_correct']) expect(panels.has(id), id).toBe(true);
    for (const m of run.models) {
      expect(m.status).toBe('done');
      for (const metric of ['mc_grade', 'brier_score', 'prob_correct']) {
        const row = rows.find((r) => r.model === m.id && r.metric === metric && r.panel === metric)!;
        const agg = m.aggregates.variants[0].metrics[metric];
        expect([row.mean, row.lo, row.hi, row.n]).toEqual([agg.mean, agg.lo, agg.hi, agg.n]);
      }
    }

    // Item explorer: every item lists its choices, probabilities summing to 1, the answer marked.
    await page.getByTestId('explorer-model').selectOption(run.models[2].id);
    const choiceLists = page.getByTestId('item-choices');
    await expect.poll(() => choiceLists.count()).toBe(8);
    const probs = await page.$$eval('[data-testid=item-choices]', (lists) =>
      lists.map((l) => Array.from(l.querySelectorAll<HTMLElement>('[data-testid=item-choice]'), (c) => Number(c.dataset.prob))),
    );
    for (const p of probs) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(await page.getByTestId('item-choices').first().textContent()).toContain('✓ answer');
    expect(errors).toEqual([]);
  });
});

describe('task file text stays text', () => {
  let chrome: LaunchedBrowser;
  afterAll(async () => {
    await chrome?.close();
  });
  it('markup in names, inputs and choices is shown, never interpreted', async () => {
    chrome = await launchChromium({ webgpu: false });
    const { page, errors } = await openLab(chrome);
    let dialogs = 0;
    page.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    const evil = {
      name: '<img src=x onerror="window.__pwned=1">',
      examples: [{ input: '<script>window.__pwned=2</script>1+1=', target_scores: { '<b>2</b>': 1, '3': 0 } }],
    };
    await pickTaskFile(page, { name: '<svg onload=alert(1)>.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(evil)) });
    await expect.poll(() => page.getByTestId('task-file-info').textContent(), { timeout: 10_000 }).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await page.locator('[data-testid=task-file-info] img, [data-testid=task-file-info] script, [data-testid=task-file-info] svg').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
  });
});
