import { afterEach, describe, expect, it } from 'vitest';
import { EngineClient, EngineWorkerError } from '../../../src/lib/run/client.ts';
import type { FromWorker, ToWorker, WorkerRunConfig } from '../../../src/lib/run/protocol.ts';
import type { ModelRef } from '../../../src/lib/spec/schema.ts';
import { syntheticRun } from '../share/synthetic-run.ts';

const run = syntheticRun({ models: 2, digits: [1], perVariant: 4 });
const config: WorkerRunConfig = { modelBaseUrl: 'http://x/models/', wasmPaths: { mjs: 'a', wasm: 'b' }, remoteHost: null, params: {} };
const env = { app: 'test', runtime: 'node', backend: 'wasm' as const, adapter: null, startedAt: new Date(0).toISOString() };

/** A stand-in for a Worker: records what the page posts, lets the test answer or fail. */
class FakeWorker extends EventTarget {
  posted: ToWorker[] = [];
  terminated = false;
  postMessage(msg: ToWorker): void {
    this.posted.push(msg);
  }
  terminate(): void {
    this.terminated = true;
  }
  reply(msg: FromWorker): void {
    this.dispatchEvent(new MessageEvent('message', { data: msg }));
  }
  crash(message: string): void {
    const e = new Event('error', { cancelable: true }) as Event & { message: string };
    e.message = message;
    this.dispatchEvent(e);
  }
}

let clients: EngineClient[] = [];
afterEach(() => {
  clients.forEach((c) => c.dispose());
  clients = [];
});

function setup(now?: () => number) {
  const workers: FakeWorker[] = [];
  const client = new EngineClient(
    () => {
      const w = new FakeWorker();
      workers.push(w);
      return w as unknown as Worker;
    },
    { now },
  );
  clients.push(client);
  return { client, workers };
}

const ref: ModelRef = run.spec.models[0];
const modelId = run.spec.models[1].id;

async function rejection(p: Promise<unknown>): Promise<EngineWorkerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EngineWorkerError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('EngineClient and a failing worker', () => {
  it('a crash rejects every pending call, naming the model and phase; the next call gets a fresh worker', async () => {
    const { client, workers } = setup();
    const handle = client.start({ spec: run.spec, config, env });
    const scoring = client.score(ref, [], config);
    const runId = handle.runId;
    const w = workers[0];
    w.reply({ type: 'event', runId, event: { type: 'items', count: 8 } });
    w.reply({ type: 'event', runId, event: { type: 'model-start', modelId, index: 1 } });
    w.reply({ type: 'event', runId, event: { type: 'score-progress', modelId, itemsDone: 4, itemsTotal: 8, tokensProcessed: 10, elapsedMs: 5 } });
    w.crash('Out of memory');
    const [a, b] = await Promise.all([rejection(handle.result), rejection(scoring)]);
    expect(a).toMatchObject({ kind: 'crashed', model: modelId, phase: 'scoring' });
    expect(a.message).toContain(`crashed while scoring ${modelId} (4 of 8 items done; Out of memory)`);
    expect(b).toMatchObject({ kind: 'crashed', model: ref.id, phase: 'loading' });
    expect(w.terminated).toBe(true);
    // Transparent restart: the next call goes to a new worker.
    const next = client.start({ spec: run.spec, config, env });
    expect(workers).toHaveLength(2);
    workers[1].reply({ type: 'done', runId: next.runId, result: run });
    await expect(next.result).resolves.toEqual(run);
  });

  it('an unreadable message rejects pending calls', async () => {
    const { client, workers } = setup();
    const handle = client.start({ spec: run.spec, config, env });
    workers[0].dispatchEvent(new Event('messageerror'));
    const err = await rejection(handle.result);
    expect(err).toMatchObject({ kind: 'unreadable-message', model: null, phase: 'preparing items' });
  });

  it('a worker that stops answering is detected: while scoring after 20× its longest gap (at least 45 s), while loading after 10 min', async () => {
    let t = 0;
    const { client, workers } = setup(() => t);
    const handle = client.start({ spec: run.spec, config, env });
    const w = workers[0];
    const rid = handle.runId;
    w.reply({ type: 'event', runId: rid, event: { type: 'model-start', modelId, index: 0 } });
    // Loading may be silent for minutes (download, session creation).
    t = 9 * 60_000;
    client.checkStalls();
    w.reply({ type: 'event', runId: rid, event: { type: 'score-progress', modelId, itemsDone: 4, itemsTotal: 8, tokensProcessed: 1, elapsedMs: 1 } });
    t += 3000; // one batch took 3 s
    w.reply({ type: 'event', runId: rid, event: { type: 'score-progress', modelId, itemsDone: 8, itemsTotal: 8, tokensProcessed: 1, elapsedMs: 1 } });
    t += 59_000; // < 20 × 3 s
    client.checkStalls();
    t += 2000; // 61 s > 60 s
    client.checkStalls();
    const err = await rejection(handle.result);
    expect(err).toMatchObject({ kind: 'stopped-answering', model: modelId, phase: 'scoring' });
    expect(err.message).toMatch(/stopped answering while scoring .* \(8 of 8 items done; no message for 61 s\)/);

    // Loading: 10 minutes of silence is the limit.
    const second = client.start({ spec: run.spec, config, env });
    workers[1].reply({ type: 'event', runId: second.runId, event: { type: 'model-start', modelId, index: 0 } });
    t += 10 * 60_000 + 1000;
    client.checkStalls();
    expect(await rejection(second.result)).toMatchObject({ kind: 'stopped-answering', phase: 'loading' });
  });

  it('a finished run stops the watchdog and later messages are ignored', async () => {
    let t = 0;
    const { client, workers } = setup(() => t);
    const handle = client.start({ spec: run.spec, config, env });
    workers[0].reply({ type: 'done', runId: handle.runId, result: run });
    await expect(handle.result).resolves.toEqual(run);
    t = 1e9;
    client.checkStalls();
    handle.cancel(); // nothing pending: nothing posted
    expect(workers[0].posted.map((m) => m.type)).toEqual(['run']);
    expect(workers[0].terminated).toBe(false);
  });
});
