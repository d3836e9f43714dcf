import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { RunStore, StorageError, DB_VERSION } from '../../../src/lib/storage/index.ts';
import { decodeShareLink, parseRunFile, RunFileError, LinkDecodeError } from '../../../src/lib/share/index.ts';
import { syntheticRun } from '../share/synthetic-run.ts';

const result = syntheticRun({ models: 3, digits: [1, 2], perVariant: 6 });
const env = (({ finishedAt: _, ...rest }) => rest)(result.env);

// fake-indexeddb/auto installs a global IndexedDB; each test gets its own database name.
let name = '';
let tests = 0;
let clock = 0;
const options = () => ({ name, now: () => new Date(Date.UTC(2025, 0, 1) + 1000 * clock++) });

beforeEach(() => {
  name = `lab-test-${tests++}`;
  clock = 0;
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StorageError) return e.code;
    throw e;
  }
  return 'ok';
}

/** Save a run as the runner would: per batch of 4 items, then per model. */
async function saveProgress(store: RunStore, id: string, modelsToFinish: number, extraBatchesOfNext: number): Promise<void> {
  for (const [i, m] of result.models.entries()) {
    const batches = Array.from({ length: Math.ceil(m.items.length / 4) }, (_, k) => m.items.slice(4 * k, 4 * k + 4));
    if (i < modelsToFinish) {
      for (const b of batches) await store.appendBatch(id, m.id, b);
      await store.finishModel(id, m);
    } else if (i === modelsToFinish) {
      for (const b of batches.slice(0, extraBatchesOfNext)) await store.appendBatch(id, m.id, b);
    }
  }
}

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('RunStore', { timeout: 60_000 }, () => {
  it('saves a run batch by batch; a new page sees it as interrupted and can resume it', async () => {
    const store = await RunStore.open(options());
    const id = await store.createRun(result.spec, env);
    await saveProgress(store, id, 1, 2);
    let list = await store.listRuns();
    expect(list.runs).toHaveLength(1);
    expect(list.runs[0]).toMatchObject({ id, status: 'running', modelsDone: 1, modelsTotal: 3, source: 'run' });
    expect(list.runs[0].bytes).toBeGreaterThan(1000);
    store.close(); // the tab closes mid-run

    const later = await RunStore.open(options());
    list = await later.listRuns();
    expect(list.runs[0].status).toBe('interrupted');
    const resume = await later.getResumeState(id);
    expect(resume.completed).toEqual([result.models[0]]);
    expect(Object.keys(resume.partialItems)).toEqual([result.models[1].id]);
    expect(resume.partialItems[result.models[1].id]).toEqual(result.models[1].items.slice(0, 8));

    const partial = await later.getRun(id);
    expect(partial.models[0]).toEqual(result.models[0]);
    expect(partial.models[1]).toMatchObject({ status: 'cancelled', items: result.models[1].items.slice(0, 8) });
    expect(partial.models[2]).toMatchObject({ status: 'cancelled', items: [] });

    // Resume: the rest of model 2, model 3, then the final result.
    for (let k = 2; k < 3; k++) await later.appendBatch(id, result.models[1].id, result.models[1].items.slice(4 * k, 4 * k + 4));
    expect((await later.listRuns()).runs[0].status).toBe('running');
    await later.finishModel(id, result.models[1]);
    await later.finishModel(id, result.models[2]);
    await later.finishRun(id, result);
    expect(await later.getRun(id)).toEqual(result);
    expect((await later.listRuns()).runs[0]).toMatchObject({ status: 'done', modelsDone: 3 });
    expect(await later.getResumeState(id)).toEqual({ completed: result.models, partialItems: {} });
    later.close();
  });

  it('a cancelled model resumes from its items plus batches saved after', async () => {
    const store = await RunStore.open(options());
    const id = await store.createRun(result.spec, env);
    const m = result.models[0];
    await store.appendBatch(id, m.id, m.items.slice(0, 4));
    await store.finishModel(id, { ...m, status: 'cancelled', error: 'The run was cancelled.', items: m.items.slice(0, 4), aggregates: { variants: [] } });
    await store.appendBatch(id, m.id, m.items.slice(4, 8));
    const resume = await store.getResumeState(id);
    expect(resume.completed).toEqual([]);
    expect(resume.partialItems[m.id]).toEqual(m.items.slice(0, 8));
  });

  it('finished runs refuse more batches; unknown runs and models are reported', async () => {
    const store = await RunStore.open(options());
    const id = await store.createRun(result.spec, env);
    expect(await code(store.appendBatch(id, 'nope/model', result.models[0].items))).toBe('invalid-input');
    await store.finishRun(id, result);
    expect(await code(store.appendBatch(id, result.models[0].id, result.models[0].items))).toBe('invalid-state');
    expect(await code(store.getRun('missing'))).toBe('not-found');
    expect(await code(store.appendBatch('missing', 'a/b', result.models[0].items))).toBe('not-found');
  });

  it('rename and delete', async () => {
    const store = await RunStore.open(options());
    const a = await store.createRun(result.spec, env);
    const b = await store.createRun(result.spec, env, 'second');
    await saveProgress(store, a, 1, 1);
    expect((await store.listRuns()).runs.map((r) => r.name)).toEqual(['second', 'addition, 1–2 digits, 3 models']);
    await store.renameRun(a, '  my run  ');
    expect((await store.listRuns()).runs.find((r) => r.id === a)?.name).toBe('my run');
    expect(await code(store.renameRun(a, '   '))).toBe('invalid-input');
    expect(await code(store.renameRun('missing', 'x'))).toBe('not-found');
    await store.deleteRun(a);
    expect((await store.listRuns()).runs.map((r) => r.id)).toEqual([b]);
    expect(await code(store.getResumeState(a))).toBe('not-found');
    await store.deleteRun('missing'); // no error
    // Nothing of the deleted run is left behind.
    const db = await openDB(name, DB_VERSION);
    expect(await db.getAll('models')).toHaveLength(0);
    expect(await db.getAll('batches')).toHaveLength(0);
    db.close();
  });

  it('import: a parsed run file becomes a finished run; invalid input writes nothing', async () => {
    const store = await RunStore.open(options());
    const id = await store.importRun(parseRunFile(JSON.stringify(result)));
    expect(await store.getRun(id)).toEqual(result);
    expect((await store.listRuns()).runs[0]).toMatchObject({ id, status: 'done', source: 'import', name: 'Imported: addition, 1–2 digits, 3 models' });
    const bad = structuredClone(result);
    (bad.models[0].items[0].metrics as Record<string, number>).exact_match = 3;
    expect(await code(store.importRun(bad))).toBe('invalid-input');
    expect((await store.listRuns()).runs).toHaveLength(1);
  });

  it('imports a run with only some of its spec\'s models (read back in spec order)', async () => {
    const store = await RunStore.open(options());
    const some = { ...structuredClone(result), models: [result.models[2], result.models[0]] };
    const id = await store.importRun(some);
    expect((await store.getRun(id)).models.map((m) => m.id)).toEqual([result.models[0].id, result.models[2].id]);
    const twice = { ...structuredClone(result), models: [result.models[0], result.models[0]] };
    expect(await code(store.importRun(twice))).toBe('invalid-input');
  });

  it('saved runs survive a failed import and a bad link (those paths never write)', async () => {
    const store = await RunStore.open(options());
    const id = await store.importRun(result);
    expect(() => parseRunFile('{"format":"emergence-lab/run","version":1}')).toThrow(RunFileError);
    expect(() => decodeShareLink('#r1.AAAA')).toThrow(LinkDecodeError);
    expect(await code(store.importRun({} as typeof result))).toBe('invalid-input');
    const list = await store.listRuns();
    expect(list.runs.map((r) => r.id)).toEqual([id]);
    expect(await store.getRun(id)).toEqual(result);
  });

  it('corrupted records are reported, never crash listRuns, and can be deleted', async () => {
    const store = await RunStore.open(options());
    const good = await store.createRun(result.spec, env);
    const broken = await store.createRun(result.spec, env);
    const db = await openDB(name, DB_VERSION);
    const rec = await db.get('runs', broken);
    await db.put('runs', { ...rec, spec: { ...rec.spec, task: 'garbage' } });
    await db.put('runs', { id: 'weird', v: 1 });
    await db.put('runs', { ...rec, id: 'future', v: 2 });
    await db.put('batches', { v: 1, runId: good, modelId: result.models[0].id, items: [{ id: 'x' }], bytes: 1 });
    db.close();

    const list = await store.listRuns();
    expect(list.runs.map((r) => r.id)).toEqual([good]);
    expect(list.corrupt.map((e) => [e.runId, e.code]).sort()).toEqual([[broken, 'corrupt'], ['future', 'newer-version'], ['weird', 'corrupt']].sort());
    expect(list.corrupt[0]).toBeInstanceOf(StorageError);
    expect(list.corrupt.find((e) => e.runId === broken)?.message).toMatch(/damaged/);
    // A damaged batch makes that run unreadable, with a typed error, not a crash.
    expect(await code(store.getRun(good))).toBe('corrupt');
    expect(await code(store.getRun(broken))).toBe('corrupt');
    await store.deleteRun(broken);
    await store.deleteRun('weird');
    expect((await store.listRuns()).corrupt.map((e) => e.runId)).toEqual(['future']);
  });

  it('storageUsed sums saved runs', async () => {
    const store = await RunStore.open(options());
    await store.importRun(result);
    const used = await store.storageUsed();
    expect(used.runsBytes).toBeGreaterThan(JSON.stringify(result).length * 0.9);
  });

  it('a database from a newer lab version is refused with a clear error', async () => {
    const db = await openDB(name, DB_VERSION + 1);
    db.close();
    let err: unknown;
    await RunStore.open(options()).catch((e) => (err = e));
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: 'newer-version' });
    expect((err as Error).message).toMatch(/newer version/);
  });

  it('an injected IndexedDB factory is used (the page passes none and gets the browser\'s)', async () => {
    const { IDBFactory } = await import('fake-indexeddb');
    const own = new IDBFactory();
    const store = await RunStore.open({ indexedDB: own, name: 'isolated' });
    await store.importRun(result);
    expect((await store.listRuns()).runs).toHaveLength(1);
    const other = await RunStore.open({ name: 'isolated' }); // the global factory: a different database
    expect((await other.listRuns()).runs).toHaveLength(0);
  });

  it('an invalid spec is not saved', async () => {
    const store = await RunStore.open(options());
    expect(await code(store.createRun({ ...result.spec, models: [] }, env))).toBe('invalid-input');
    expect((await store.listRuns()).runs).toHaveLength(0);
  });
});
