import { describe, expect, it } from 'vitest';
import { applyModelRun, applyRunEvent, cancelPending, initialRungs, loadFraction, overallFraction, rungFraction } from '../../../src/lib/charts/progress.ts';
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
