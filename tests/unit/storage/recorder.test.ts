import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/lib/storage/index.ts';
import { RunRecorder, type RecorderProgress } from '../../../src/lib/storage/recorder.ts';
import type { ModelRun, RunResult } from '../../../src/lib/results/types.ts';
import { syntheticRun } from '../share/synthetic-run.ts';

const result = syntheticRun({ models: 3, digits: [1, 2], perVariant: 8 });
const env = (({ finishedAt: _, ...rest }) => rest)(result.env);
const BATCH = 4;

let name = '';
let tests = 0;
beforeEach(() => {
  name = `recorder-test-${tests++}`;
});

/** A store that counts its batch transactions. */
async function openCounting(): Promise<{ store: RunStore; appends: () => number }> {
  const store = await RunStore.open({ name });
  let appends = 0;
  const original = store.appendBatchNow.bind(store);
  store.appendBatchNow = (...args) => {
    appends++;
    return original(...args);
  };
  return { store, appends: () => appends };
}

function batchesOf(m: ModelRun): ModelRun['items'][] {
  return Array.from({ length: Math.ceil(m.items.length / BATCH) }, (_, k) => m.items.slice(BATCH * k, BATCH * k + BATCH));
}

/** What a cancelled run returns: models before `stopAt` done, the one at stopAt with `kept` items. */
function cancelledResult(stopAt: number, kept: number): RunResult {
  return {
    ...result,
    models: result.models.map((m, i) =>
      i < stopAt ? m : { ...m, status: 'cancelled', error: 'The run was cancelled.', items: i === stopAt ? m.items.slice(0, kept) : [], aggregates: { variants: [] } },
    ),
  };
}

describe('RunRecorder', { timeout: 60_000 }, () => {
  it('records a whole run; batches that arrive during a write go into the next one; done only once committed', async () => {
    const { store, appends } = await openCounting();
    const seen: RecorderProgress[] = [];
    const rec = new RunRecorder(store, { kind: 'new', spec: result.spec, env }, { onProgress: (p) => seen.push(p) });
    let batches = 0;
    for (const m of result.models) {
      // Scoring outruns saving: every batch of the model arrives before the first write ends.
      for (const b of batchesOf(m)) {
        rec.batch(m.id, b);
        batches++;
      }
      await rec.modelDone(m);
      // Committed: another connection reads the model back.
      const other = await RunStore.open({ name });
      expect((await other.getResumeState(rec.recordId!)).completed.map((x) => x.id)).toContain(m.id);
      other.close();
    }
    await rec.finish(result, 'done');
    expect(await store.getRun(rec.recordId!)).toEqual(result);
    expect((await store.listRuns()).runs[0]).toMatchObject({ status: 'done', modelsDone: 3, error: null });
    // Coalesced: fewer transactions than batches, and the lag never exceeded one model's items.
    expect(appends()).toBeLessThan(batches);
    expect(Math.max(...seen.map((p) => p.maxUnsaved))).toBeLessThanOrEqual(result.models[0].items.length);
    expect(seen.at(-1)).toMatchObject({ models: 3, items: 0, unsaved: 0 });
  });

  it('saving keeps pace when batches arrive one write apart: the lag stays at most one batch', async () => {
    const { store } = await openCounting();
    const rec = new RunRecorder(store, { kind: 'new', spec: result.spec, env });
    await rec.flushed();
    for (const b of batchesOf(result.models[0])) {
      rec.batch(result.models[0].id, b);
      await rec.flushed();
    }
    expect(rec.saved.maxUnsaved).toBeLessThanOrEqual(BATCH);
    expect(rec.saved.items).toBe(result.models[0].items.length);
  });

  it('cancel writes "cancelled" with what was kept; resume reopens it and continues from there', async () => {
    const store = await RunStore.open({ name });
    const rec = new RunRecorder(store, { kind: 'new', spec: result.spec, env });
    const m0 = result.models[0];
    for (const b of batchesOf(m0)) rec.batch(m0.id, b);
    await rec.modelDone(m0);
    rec.batch(result.models[1].id, result.models[1].items.slice(0, BATCH));
    const cancelled = cancelledResult(1, BATCH);
    await rec.finish(cancelled, 'cancelled');
    const id = rec.recordId!;
    // A later page: not "running", not "interrupted": cancelled, with what was kept.
    const later = await RunStore.open({ name });
    expect((await later.listRuns()).runs[0]).toMatchObject({ id, status: 'cancelled', modelsDone: 1 });
    const state = await later.getResumeState(id);
    expect(state.completed).toEqual([m0]);
    expect(state.partialItems[result.models[1].id]).toEqual(result.models[1].items.slice(0, BATCH));
    expect(state.partialItems[result.models[2].id]).toBeUndefined();

    const resumed = new RunRecorder(later, { kind: 'resume', id, modelsDone: 1 });
    await resumed.flushed();
    expect((await later.listRuns()).runs[0].status).toBe('running');
    for (const m of result.models.slice(1)) await resumed.modelDone(m);
    await resumed.finish(result, 'done');
    expect(await later.getRun(id)).toEqual(result);
    expect((await later.listRuns()).runs[0].status).toBe('done');
  });

  it('a failed run keeps its saved batches, says why, and can be resumed', async () => {
    const store = await RunStore.open({ name });
    const rec = new RunRecorder(store, { kind: 'new', spec: result.spec, env });
    const m0 = result.models[0];
    rec.batch(m0.id, m0.items.slice(0, BATCH));
    rec.batch(m0.id, m0.items.slice(BATCH, 2 * BATCH));
    await rec.fail('The engine worker crashed while scoring add/m0 (8 of 16 items done).');
    // Nothing after the failure is written.
    rec.batch(m0.id, m0.items.slice(2 * BATCH));
    await rec.flushed();
    const later = await RunStore.open({ name });
    const [summary] = (await later.listRuns()).runs;
    expect(summary).toMatchObject({ status: 'failed', error: 'The engine worker crashed while scoring add/m0 (8 of 16 items done).' });
    expect((await later.getResumeState(summary.id)).partialItems[m0.id]).toEqual(m0.items.slice(0, 2 * BATCH));
    await later.reopenRun(summary.id);
    expect((await later.listRuns()).runs[0]).toMatchObject({ status: 'running', error: null });
  });

  it('flushNow writes everything received (the write in flight too) in one transaction issued at once', async () => {
    const store = await RunStore.open({ name });
    const rec = new RunRecorder(store, { kind: 'new', spec: result.spec, env });
    await rec.flushed();
    const m0 = result.models[0];
    // The page closes while the queued write is in flight: it never completes.
    const appendBatchNow = store.appendBatchNow.bind(store);
    let queuedWrites = 0;
    store.appendBatchNow = (...args) => (queuedWrites++ === 0 ? new Promise(() => undefined) : appendBatchNow(...args));
    rec.batch(m0.id, m0.items.slice(0, BATCH));
    rec.batch(m0.id, m0.items.slice(BATCH, 2 * BATCH));
    await Promise.resolve();
    rec.flushNow();
    const other = await RunStore.open({ name });
    // fake-indexeddb runs the committed transaction on its own; give it a few turns.
    for (let i = 0; i < 50 && !(await other.getResumeState(rec.recordId!)).partialItems[m0.id]; i++) await new Promise((r) => setTimeout(r, 5));
    expect((await other.getResumeState(rec.recordId!)).partialItems[m0.id]).toEqual(m0.items.slice(0, 2 * BATCH));
    expect(queuedWrites).toBe(2);
  });

  it('a store failure is reported, never thrown into the run', async () => {
    const store = await RunStore.open({ name });
    const errors: unknown[] = [];
    const rec = new RunRecorder(store, { kind: 'resume', id: 'run-missing', modelsDone: 0 }, { onError: (e) => errors.push(e) });
    rec.batch(result.models[0].id, result.models[0].items.slice(0, BATCH));
    await rec.modelDone(result.models[0]);
    await rec.finish(result, 'done');
    expect(errors.length).toBe(1);
    expect(String(errors[0])).toMatch(/no longer exists/);
  });
});
