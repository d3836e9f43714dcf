/**
 * lm-eval round trip and merge on the bundled ladder in Node: a real run, exported as an lm-eval
 * task folder, logged the way lm-evaluation-harness logs samples (docs read back from the
 * exported JSONL), imported again: every item and every metric that a log can carry equals the
 * Node run's. Then two runs with different backends merge into one ladder.
 */
import * as v from 'valibot';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeEngine, loadLadder, nodeEnvironment } from '../../src/cli/node-engine.ts';
import { defaultSpec, paramsOfBundled } from '../../src/lib/catalog/ladder.ts';
import { exportLmEvalTask, importLmEvalRun, InteropError, mergeRuns, TOKENLESS_REASON } from '../../src/lib/interop/index.ts';
import { CHOICE_METRIC_IDS, GENERATION_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import { RunResultSchema } from '../../src/lib/results/schema.ts';
import { TOKEN_LEVEL_METRIC_IDS, type RunResult } from '../../src/lib/results/types.ts';
import { runExperiment } from '../../src/lib/run/runner.ts';
import { parseSpec } from '../../src/lib/spec/parse.ts';
import { answersOfRun, lmEvalLogs } from '../unit/interop/lm-eval-logger.ts';

const ladder = await loadLadder('arith');
const engine = createNodeEngine();
const opts = { env: nodeEnvironment(), paramsOf: (ref: { id: string }) => paramsOfBundled(ladder, ref.id) };
const base = defaultSpec(ladder, 'cpu');
const genSpec = parseSpec({ ...base, task: { kind: 'arithmetic', operation: 'add', digits: [1, 2, 3], perVariant: 12, seed: 3, kShot: 0, template: 'arith-plain' }, metrics: [...GENERATION_METRIC_IDS] });
const mcSpec = parseSpec({ ...base, task: { kind: 'add-choice', digits: [2, 3], perVariant: 12, seed: 3, kShot: 0, choices: 4, template: 'arith-plain' }, metrics: [...CHOICE_METRIC_IDS] });

let gen: RunResult;
let mc: RunResult;
beforeAll(async () => {
  gen = await runExperiment(genSpec, engine, opts);
  mc = await runExperiment(mcSpec, engine, opts);
}, 120_000);

function roundTrip(run: RunResult) {
  const exported = exportLmEvalTask(run.spec, { allowEndToken: true });
  const files = lmEvalLogs(run.spec, answersOfRun(run, 1_760_000_000), null, 'out', exported.files);
  return importLmEvalRun(files, { params: new Map(run.models.map((m) => [m.id, m.params ?? 0])) });
}

describe('export → lm-eval samples → import equals the Node run', () => {
  it('generation: same items in the same order; text metrics equal item by item; token metrics unavailable', () => {
    const { run, mismatches } = roundTrip(gen);
    expect(mismatches).toEqual([]);
    expect(run.models.map((m) => m.id)).toEqual(gen.models.map((m) => m.id));
    let compared = 0;
    gen.models.forEach((lab, mi) => {
      const imported = run.models[mi];
      expect(imported.params).toBe(lab.params);
      expect(imported.items.map((i) => [i.id, i.prompt, i.target])).toEqual(lab.items.map((i) => [i.id, i.prompt, i.target]));
      lab.items.forEach((item, ii) => {
        const got = imported.items[ii];
        if (item.kind === 'choice' || got.kind === 'choice') throw new Error('generation expected');
        expect(got.output_text).toBe(item.output_text);
        for (const id of GENERATION_METRIC_IDS) {
          if ((TOKEN_LEVEL_METRIC_IDS as readonly string[]).includes(id)) expect(got.metrics[id]).toBeNull();
          else expect(got.metrics[id]).toBe(item.metrics[id]);
          compared++;
        }
        expect(got.token_ids_unavailable).toBe(TOKENLESS_REASON);
      });
      // Aggregates of the metrics a log carries are the lab's, bit for bit (same items, same seed).
      lab.aggregates.variants.forEach((agg, vi) => {
        for (const id of ['exact_match', 'char_edit_distance', 'digit_accuracy']) expect(imported.aggregates.variants[vi].metrics[id]).toEqual(agg.metrics[id]);
      });
    });
    expect(compared).toBe(gen.models.length * 36 * GENERATION_METRIC_IDS.length);
    // The bundled ladder's exact match rises with size: some models right, some wrong, so the comparison is not vacuous.
    const em = run.models.map((m) => m.aggregates.variants[2].metrics.exact_match.mean);
    expect(Math.min(...em)).toBeLessThan(Math.max(...em));
  });

  it('multiple choice: log-likelihoods and every choice metric equal item by item, and lm-eval\'s acc / acc_norm agree', () => {
    const { run, mismatches } = roundTrip(mc);
    expect(mismatches).toEqual([]);
    mc.models.forEach((lab, mi) => {
      const imported = run.models[mi];
      lab.items.forEach((item, ii) => {
        const got = imported.items[ii];
        if (item.kind !== 'choice' || got.kind !== 'choice') throw new Error('choice expected');
        expect(got.choice_logprobs).toEqual(item.choice_logprobs);
        expect(got.choice_is_greedy).toEqual(item.choice_is_greedy);
        expect(got.metrics).toEqual(item.metrics);
      });
      expect(imported.aggregates).toEqual(lab.aggregates);
      expect(imported.provenance?.lmEval?.comparisons.filter((c) => c.agrees).length).toBe(2 * 2);
    });
    expect(run.emergence).toEqual(mc.emergence);
  });
});

describe('mergeRuns', () => {
  it('merges two runs made with different backends into one ladder, each rung labelled', () => {
    const ids = gen.models.map((m) => m.id);
    const half = Math.ceil(ids.length / 2);
    const a: RunResult = { ...gen, models: gen.models.slice(0, half), spec: { ...gen.spec, models: gen.spec.models.slice(0, half) } };
    const b: RunResult = {
      ...gen,
      env: { ...gen.env, backend: 'wasm', runtime: 'Mozilla/5.0 Chrome/156.0 Safari/537.36' },
      models: gen.models.slice(half),
      spec: { ...gen.spec, models: gen.spec.models.slice(half) },
    };
    const merged = mergeRuns([
      { name: 'laptop.json', run: a },
      { name: 'desktop.json', run: b },
    ]);
    expect(v.safeParse(RunResultSchema, merged).success).toBe(true);
    expect(merged.models.map((m) => m.id)).toEqual(ids);
    expect(merged.models[0].provenance?.label).toBe('lab · cpu · node ' + process.version + ' (laptop.json)');
    expect(merged.models[ids.length - 1].provenance?.label).toBe('lab · wasm · Chrome 156 (desktop.json)');
    expect(merged.models[ids.length - 1].provenance?.env?.backend).toBe('wasm');
    // Same items, same seed: the merged ladder's numbers are the single run's.
    merged.models.forEach((m, i) => expect(m.aggregates).toEqual(gen.models[i].aggregates));
    expect(merged.emergence).toEqual(gen.emergence);
  });

  it('merges a lab run with an lm-eval import, and refuses runs whose items differ, naming the variant', () => {
    const imported = roundTrip(gen).run;
    const lab: RunResult = { ...gen, models: gen.models.slice(0, 3), spec: { ...gen.spec, models: gen.spec.models.slice(0, 3) } };
    const big: RunResult = { ...imported, models: imported.models.slice(3), spec: { ...imported.spec, models: imported.spec.models.slice(3) } };
    const merged = mergeRuns([
      { name: 'browser.json', run: lab },
      { name: 'cluster', run: big },
    ]);
    expect(v.safeParse(RunResultSchema, merged).success).toBe(true);
    expect(merged.models.map((m) => m.provenance?.source)).toEqual([...Array(3).fill('lab'), ...Array(imported.models.length - 3).fill('lm-eval')]);
    const edited: RunResult = {
      ...big,
      models: big.models.map((m) => ({ ...m, items: m.items.map((i) => (i.id === 'add-2d-4' ? { ...i, prompt: i.prompt + ' ' } : i)) })),
    };
    expect(() => mergeRuns([{ name: 'browser.json', run: lab }, { name: 'cluster', run: edited }])).toThrow(InteropError);
    expect(() => mergeRuns([{ name: 'browser.json', run: lab }, { name: 'cluster', run: edited }])).toThrow(/Variant "add\/2d" differs/);
    expect(() => mergeRuns([{ name: 'a', run: gen }, { name: 'b', run: gen }])).toThrow(/is in both "a" and "b"/);
    expect(() => mergeRuns([{ name: 'a', run: gen }, { name: 'b', run: mc }])).toThrow(/different experiment/);
  });
});
