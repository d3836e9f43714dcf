import { describe, expect, it } from 'vitest';
import { applyModelRun, applyRunEvent, cancelPending, describeTimeLeft, initialRungs, isPreparing, loadFraction, overallFraction, plural, readyMs, rungFraction, runMsLeft } from '../../../src/lib/charts/progress.ts';
import { modelRun } from './fixtures.ts';

const models = [{ id: 'a/small' }, { id: 'a/big' }];
const params = (id: string) => (id === 'a/small' ? 10 : 100);

describe('run progress per model', () => {
  it('starts waiting with parameter counts', () => {
    const r = initialRungs(models, params);
    expect(r.map((x) => [x.modelId, x.params, x.status])).toEqual([
      ['a/small', 10, 'waiting'],
      ['a/big', 100, 'waiting'],
    ]);
  });

  it('loading, then scoring with tokens/s and time left, then done', () => {
    let r = initialRungs(models, params);
    r = applyRunEvent(r, { type: 'items', count: 40 });
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/small', index: 0 });
    expect(r[0].status).toBe('loading');
    r = applyRunEvent(r, { type: 'load-progress', modelId: 'a/small', file: 'onnx/model.onnx', loaded: 50, total: 100 });
    r = applyRunEvent(r, { type: 'load-progress', modelId: 'a/small', file: 'config.json', loaded: 100, total: 100 });
    expect(loadFraction(r[0])).toBe(0.75);
    expect(rungFraction(r[0])).toBe(0.75);
    expect(rungFraction(r[1])).toBe(0);
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/small', itemsDone: 10, itemsTotal: 40, tokensProcessed: 500, elapsedMs: 2000 });
    expect(r[0]).toMatchObject({ status: 'scoring', itemsDone: 10, itemsTotal: 40, tokensPerSecond: 250, msLeft: 6000 });
    expect(overallFraction(r)).toBeCloseTo(0.125, 12);
    expect(rungFraction(r[0])).toBe(0.25);
    const done = modelRun('a/small', 10, { 'add/1d': 1 }, 40);
    r = applyRunEvent(r, { type: 'model-done', model: done });
    expect(r[0]).toMatchObject({ status: 'done', itemsDone: 40, msLeft: 0, scoreMs: 10 });
    expect(r[1].status).toBe('waiting');
    expect(overallFraction(r)).toBe(0.5);
  });

  it('a failed model shows its error; cancel marks unfinished rungs', () => {
    let r = initialRungs(models, params);
    r = applyModelRun(r, { ...modelRun('a/small', 10, {}), status: 'error', error: 'a/small: could not be loaded', items: [] });
    expect(r[0]).toMatchObject({ status: 'error', error: 'a/small: could not be loaded' });
    r = cancelPending(r);
    expect(r.map((x) => x.status)).toEqual(['error', 'cancelled']);
  });

  it('no rate before any time has passed', () => {
    let r = initialRungs(models, params);
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/big', itemsDone: 0, itemsTotal: 40, tokensProcessed: 0, elapsedMs: 0 });
    expect([r[1].tokensPerSecond, r[1].msLeft]).toEqual([null, null]);
  });
});

describe('honest progress (issue 13)', () => {
  it('a model is ready when its first items are scored, not when transformers.js returns it', () => {
    let r = initialRungs(models, params, 40);
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/small', index: 0 }, 1000);
    r = applyRunEvent(r, { type: 'load-progress', modelId: 'a/small', file: 'onnx/model.onnx', loaded: 50, total: 100 }, 1200);
    expect(isPreparing(r[0])).toBe(false);
    r = applyRunEvent(r, { type: 'load-progress', modelId: 'a/small', file: 'onnx/model.onnx', loaded: 100, total: 100 }, 1500);
    // Every byte in, nothing scored: ONNX Runtime is preparing the session (WebGPU compiles here).
    expect(isPreparing(r[0])).toBe(true);
    expect(readyMs(r[0])).toBeNull();
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/small', itemsDone: 0, itemsTotal: 40, tokensProcessed: 0, elapsedMs: 0 }, 20_000);
    expect(readyMs(r[0])).toBeNull();
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/small', itemsDone: 8, itemsTotal: 40, tokensProcessed: 80, elapsedMs: 100 }, 31_000);
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/small', itemsDone: 16, itemsTotal: 40, tokensProcessed: 160, elapsedMs: 200 }, 32_000);
    expect(readyMs(r[0])).toBe(30_000);
    r = applyRunEvent(r, { type: 'model-done', model: modelRun('a/small', 10, { 'add/1d': 1 }, 40) }, 35_000);
    expect(r[0]).toMatchObject({ status: 'done', startedAt: 1000, readyAt: 31_000, finishedAt: 35_000 });
    expect(readyMs(r[0])).toBe(30_000);
  });

  it('a model that lands without progress events is ready at its finish; no clock, no times', () => {
    let r = initialRungs(models, params, 40);
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/small', index: 0 }, 0);
    r = applyRunEvent(r, { type: 'model-done', model: modelRun('a/small', 10, {}, 40) }, 900);
    expect(readyMs(r[0])).toBe(900);
    const untimed = applyRunEvent(applyRunEvent(initialRungs(models, params), { type: 'model-start', modelId: 'a/big', index: 1 }), { type: 'model-done', model: modelRun('a/big', 10, {}, 40) });
    expect(readyMs(untimed[1])).toBeNull();
  });

  it('the whole-run ETA is items left over the throughput measured since the first request', () => {
    let r = initialRungs(models, params, 40);
    expect(runMsLeft(r, 5000)).toBeNull();
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/small', index: 0 }, 1000);
    expect(runMsLeft(r, 3000)).toBeNull(); // nothing measured yet
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/small', itemsDone: 20, itemsTotal: 40, tokensProcessed: 100, elapsedMs: 1000 }, 3000);
    expect(runMsLeft(r, 2500)).toBeNull(); // under 2 s measured: start-up noise, no estimate yet
    // 20 items in 2 s (loading included): 60 items left (20 of this model, 40 of the next) → 6 s.
    expect(runMsLeft(r, 3000)).toBe(6000);
    r = applyRunEvent(r, { type: 'model-done', model: modelRun('a/small', 10, { 'add/1d': 1 }, 40) }, 5000);
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/big', index: 1 }, 5000);
    expect(runMsLeft(r, 5000)).toBe(4000); // 40 items in 4 s, 40 left
  });

  it('a resumed run\'s earlier models count neither in the rate nor in what is left', () => {
    let r = applyModelRun(initialRungs(models, params, 40), modelRun('a/small', 10, { 'add/1d': 1 }, 40));
    expect(r[0].itemsDone).toBe(40);
    r = applyRunEvent(r, { type: 'model-start', modelId: 'a/big', index: 1 }, 0);
    r = applyRunEvent(r, { type: 'score-progress', modelId: 'a/big', itemsDone: 10, itemsTotal: 40, tokensProcessed: 50, elapsedMs: 500 }, 2000);
    expect(runMsLeft(r, 2000)).toBe(6000);
  });

  it('says time left the way an estimate can promise it', () => {
    expect(describeTimeLeft(null)).toBeNull();
    expect(describeTimeLeft(Number.NaN)).toBeNull();
    expect(describeTimeLeft(400)).toBe('about 1 s left');
    expect(describeTimeLeft(4_400)).toBe('about 4 s left');
    expect(describeTimeLeft(12_400)).toBe('about 10 s left');
    expect(describeTimeLeft(13_000)).toBe('about 15 s left');
    expect(describeTimeLeft(58_000)).toBe('about 1 min left');
    expect(describeTimeLeft(185_000)).toBe('about 3 min left');
    expect(describeTimeLeft(2 * 3_600_000 + 5 * 60_000)).toBe('about 2 h 5 min left');
  });

  it('plurals', () => {
    expect(plural(1, 'model')).toBe('1 model');
    expect(plural(0, 'model')).toBe('0 models');
    expect(plural(2, 'item')).toBe('2 items');
    expect(plural(1200, 'item')).toBe('1,200 items');
  });
});
