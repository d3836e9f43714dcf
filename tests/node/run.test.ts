/** A whole experiment on the bundled ladder in Node: results format, aggregates, emergence. */
import type { GenerationItemRecord } from '../../src/lib/results/types.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultSpec, paramsOfBundled } from '../../src/lib/catalog/ladder.ts';
import { GENERATION_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import type { RunResult } from '../../src/lib/results/types.ts';
import type { Engine } from '../../src/lib/engine/types.ts';
import { runExperiment, type RunEvent } from '../../src/lib/run/runner.ts';
import { createNodeEngine, loadLadder, nodeEnvironment, REPO_ROOT } from '../../src/cli/node-engine.ts';

const ladder = await loadLadder('arith');

describe('the default experiment in Node', () => {
  let result: RunResult;
  const events: RunEvent['type'][] = [];
  const nDefault = defaultSpec(ladder, 'cpu').models.length;
  beforeAll(async () => {
    const spec = defaultSpec(ladder, 'cpu');
    result = await runExperiment(spec, createNodeEngine(), {
      env: nodeEnvironment(),
      paramsOf: (ref) => paramsOfBundled(ladder, ref.id),
      onEvent: (e) => void events.push(e.type),
    });
  });

  it('writes the versioned results format with every item and metric', () => {
    expect(result.format).toBe('emergence-lab/run');
    expect(result.version).toBe(1);
    expect(result.models).toHaveLength(nDefault);
    for (const m of result.models) {
      expect(m.status).toBe('done');
      expect(m.params).toBeGreaterThan(0);
      expect(m.items).toHaveLength(5 * 40);
      for (const item of m.items) {
        expect(Object.keys(item.metrics).sort()).toEqual([...GENERATION_METRIC_IDS].sort());
        for (const v of Object.values(item.metrics)) expect(v === null || Number.isFinite(v)).toBe(true);
        expect(item.kind !== 'choice' && item.target_logprobs.every(Number.isFinite)).toBe(true);
      }
      expect(m.aggregates.variants.map((v) => v.variant)).toEqual(['add/1d', 'add/2d', 'add/3d', 'add/4d', 'add/5d']);
      for (const v of m.aggregates.variants) {
        for (const s of Object.values(v.metrics)) expect(s.lo <= s.mean && s.mean <= s.hi).toBe(true);
      }
    }
    expect(events.filter((t) => t === 'model-done')).toHaveLength(nDefault);
    expect(events).toContain('score-progress');
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('shows the mirage on 3-digit addition: exact match is far more "emergent" than the continuous metrics', () => {
    // BIG-bench emergence score over the 7 rungs. On 3 digits exact match jumps (8% -> 98%) while
    // per-token probability and token edit distance move over several rungs. On 5 digits this
    // ladder has a genuine transition (models learn to carry between 27K and 59K parameters), so
    // per-token probability jumps there too and the scores do not separate; see the model card.
    const em = result.emergence['add/3d'];
    expect(em.exact_match).toBeGreaterThan(2 * em.per_token_prob);
    expect(em.exact_match).toBeGreaterThan(2 * em.token_edit_distance);
    // The new measures say the same with intervals: the jump share of exact match over that of
    // token edit distance (the mirage ratio) is above 1 with its whole 95% interval.
    const ratio = result.emergence_measures!['add/3d'].mirage.token_edit_distance.jumpShare;
    expect('lo' in ratio && ratio.lo).toBeGreaterThan(1);
    expect(result.intervals).toBe('standard');
  });

  it('is deterministic: the same spec gives the same numbers', async () => {
    const spec = { ...defaultSpec(ladder, 'cpu'), models: defaultSpec(ladder, 'cpu').models.slice(-2) };
    const opts = { env: nodeEnvironment(), paramsOf: (ref: { id: string }) => paramsOfBundled(ladder, ref.id) };
    const again = await runExperiment(spec, createNodeEngine(), opts);
    const byId = new Map(result.models.map((m) => [m.id, m]));
    for (const m of again.models) expect(m.aggregates).toEqual(byId.get(m.id)!.aggregates);
  });

  it('progress counts each item once; a resumed run counts saved items and equals the uninterrupted run', async () => {
    const full = defaultSpec(ladder, 'cpu');
    const spec = { ...full, models: full.models.slice(0, 2) };
    const paramsOf = (ref: { id: string }) => paramsOfBundled(ladder, ref.id);
    const progress = (into: { itemsDone: number; itemsTotal: number }[]) => (e: RunEvent) => {
      if (e.type === 'score-progress') into.push({ itemsDone: e.itemsDone, itemsTotal: e.itemsTotal });
    };
    const fresh: { itemsDone: number; itemsTotal: number }[] = [];
    const uninterrupted = await runExperiment(spec, createNodeEngine(), { env: nodeEnvironment(), paramsOf, onEvent: progress(fresh) });
    expect(fresh.length).toBeGreaterThan(0);
    expect(Math.max(...fresh.map((p) => p.itemsDone))).toBe(fresh[0].itemsTotal);
    expect(fresh.every((p) => p.itemsDone <= p.itemsTotal)).toBe(true);

    // As if the page closed with model 1 finished and 60 items of model 2 saved.
    const [first, second] = uninterrupted.models;
    const resumedProgress: { itemsDone: number; itemsTotal: number }[] = [];
    const resumed = await runExperiment(spec, createNodeEngine(), {
      env: nodeEnvironment(),
      paramsOf,
      completed: [first],
      partialItems: { [second.id]: second.items.slice(0, 60) },
      onEvent: progress(resumedProgress),
    });
    expect(resumedProgress.every((p) => p.itemsDone >= 60 && p.itemsDone <= p.itemsTotal)).toBe(true);
    expect(Math.max(...resumedProgress.map((p) => p.itemsDone))).toBe(second.items.length);
    const strip = (r: RunResult) => r.models.map((m) => ({ ...m, loadMs: 0, scoreMs: 0 }));
    expect(strip(resumed)).toEqual(strip(uninterrupted));
    expect(resumed.emergence).toEqual(uninterrupted.emergence);
  });

  it('a model that fails to load is recorded and the rest of the ladder still runs', async () => {
    const spec = defaultSpec(ladder, 'cpu');
    spec.models = [spec.models[0], { ...spec.models[1], id: 'arith/does-not-exist' }, spec.models[2]];
    spec.task.perVariant = 3;
    const r = await runExperiment(spec, createNodeEngine(), { env: nodeEnvironment(), paramsOf: (ref) => paramsOfBundled(ladder, ref.id) });
    expect(r.models.map((m) => m.status)).toEqual(['done', 'error', 'done']);
    expect(r.models[1].error).toMatch(/^arith\/does-not-exist: could not be loaded/);
  });

  it('out of memory while scoring names the model and what to try; the rest of the ladder still runs', async () => {
    const spec = defaultSpec(ladder, 'cpu');
    spec.models = spec.models.slice(0, 3);
    spec.task.perVariant = 3;
    const oomId = spec.models[1].id;
    // The real engine, with the middle model's first forward pass failing the way ONNX Runtime reports a failed allocation.
    const real = createNodeEngine();
    const engine: Engine = {
      async load(ref, options) {
        const model = await real.load(ref, options);
        if (ref.id !== oomId) return model;
        return { info: model.info, dispose: () => model.dispose(), scoreChoices: (items, o) => model.scoreChoices(items, o), score: () => Promise.reject(new Error("Non-zero status code returned while running MatMul node. Name:'/lm_head/MatMul' Status Message: Failed to allocate memory for requested buffer of size 805306368")) };
      },
    };
    const r = await runExperiment(spec, engine, { env: nodeEnvironment(), paramsOf: (ref) => paramsOfBundled(ladder, ref.id) });
    expect(r.models.map((m) => m.status)).toEqual(['done', 'error', 'done']);
    expect(r.models[1].error).toMatch(new RegExp(`^${oomId} ran out of memory while scoring \\(fp32: Non-zero status code.*\\); try a smaller dtype`));
  });
});

describe('npm run eval (CLI)', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/eval.ts'), ...args], { encoding: 'utf8', cwd: REPO_ROOT });

  it('prints a model x metric table with intervals and writes the results file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emergence-cli-'));
    try {
      const out = join(dir, 'run.json');
      const r = cli(['--ladder', 'arith', '--task', 'add', '--digits', '1-2', '--n', '4', '--seed', '3', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Intervals: 95% Wilson \(binary\) \/ BCa bootstrap \(continuous\) interval\.$/m);
      expect(r.stdout).toMatch(/1-digit \[add\/1d\] \(n=4 per model, mean \[95% interval\]\)/);
      expect(r.stdout).toMatch(/^jump share \(largest step \/ total change, 95% bootstrap interval\):$/m);
      expect(r.stdout).toMatch(/^Was the jump predictable\? /m);
      expect(r.stdout).not.toMatch(/1\.0e\+6|1000000/);
      expect(r.stdout).toMatch(/exact match/);
      const saved = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      expect(saved.spec.task).toMatchObject({ digits: [1, 2], perVariant: 4, seed: 3 });
      expect(saved.models.every((m) => m.items.length === 8)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a training-compute ladder along one model\'s checkpoints: positions recorded, measures in compute order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emergence-cli-'));
    try {
      const out = join(dir, 'steps.json');
      // The smaller run: not in the ladder's default experiment, still nameable.
      const ids = ['arith-l2-d36-s4000', 'arith-l2-d36-s500', 'arith-l2-d36-s1000', 'arith-l2-d36-s125'];
      const r = cli(['--ladder', 'arith-steps', '--models', ids.join(','), '--digits', '3', '--n', '6', '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      const saved = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const byStep = ['arith-l2-d36-s125', 'arith-l2-d36-s500', 'arith-l2-d36-s1000', 'arith-l2-d36-s4000'].map((id) => `arith-steps/${id}`);
      expect(saved.spec.models.map((m) => m.id)).toEqual(byStep);
      expect(saved.models.every((m) => m.scale?.axis === 'compute' && m.scale.run === 'arith-l2-d36')).toBe(true);
      expect(saved.emergence_measures!['add/3d'].models).toEqual(byStep);
      expect(r.stdout).toMatch(/largest step \d\.\de\d+ FLOPs → \d\.\de\d+ FLOPs/);
      expect(r.stdout).toMatch(/^Was the jump predictable\? (fit of per-token p on \d models ≤ \d\.\de\d+ FLOPs|undefined — )/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments with a message and exit code 2', () => {
    for (const [args, message] of [
      [['--task', 'div'], /operation must be one of/],
      [['--digits', '0-3'], /digit count must be at least 1/],
      [['--n', '0'], /items per variant must be at least 1/],
      [['--n', 'ten'], /--n must be a whole number/],
      [['--ladder', 'nope'], /Unknown ladder "nope"/],
      [['--models', 'arith-l9-d9'], /Unknown model/],
      [['--ladder', 'arith-steps', '--models', 'arith-l2-d36-s125,arith-l2-d44-s125'], /Choose the checkpoints of one model/],
    ] as const) {
      const r = cli([...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
