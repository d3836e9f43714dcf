/**
 * Multiple choice end to end on the bundled ladder in Node: the add-choice task and an imported
 * BIG-bench file, through the real engine; metrics from stored log-likelihoods; run files,
 * links, CSV and resume carry choice items and the imported task.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createNodeEngine, loadLadder, nodeEnvironment, REPO_ROOT } from '../../src/cli/node-engine.ts';
import { defaultSpec, paramsOfBundled } from '../../src/lib/catalog/ladder.ts';
import { brierScore, mcGrade, mcGradeNorm, probCorrect } from '../../src/lib/metrics/choice.ts';
import { CHOICE_METRIC_IDS } from '../../src/lib/metrics/registry.ts';
import { isChoiceRecord, type ChoiceItemRecord, type RunResult } from '../../src/lib/results/types.ts';
import { runExperiment } from '../../src/lib/run/runner.ts';
import { decodeShareLink, encodeShareLink, parseRunFile, runToCsv, serializeRunFile, sharedRunToView } from '../../src/lib/share/index.ts';
import { parseSpec } from '../../src/lib/spec/parse.ts';
import type { ExperimentSpec } from '../../src/lib/spec/schema.ts';
import { parseTaskFile } from '../../src/lib/tasks/imported/parse.ts';

const ladder = await loadLadder('arith');
const engine = createNodeEngine();
const opts = { env: nodeEnvironment(), paramsOf: (ref: { id: string }) => paramsOfBundled(ladder, ref.id) };

function choiceSpec(): ExperimentSpec {
  const base = defaultSpec(ladder, 'cpu');
  return parseSpec({ ...base, task: { kind: 'add-choice', digits: [2, 3, 4], perVariant: 20, seed: 11, kShot: 0, choices: 4, template: 'arith-plain' }, metrics: [...CHOICE_METRIC_IDS] });
}

describe('add-choice on the bundled ladder', () => {
  let result: RunResult;
  beforeAll(async () => {
    result = await runExperiment(choiceSpec(), engine, opts);
  });

  it('scores every item by one log-likelihood per choice, with every choice metric', () => {
    for (const m of result.models) {
      expect(m.status).toBe('done');
      expect(m.items).toHaveLength(60);
      for (const item of m.items) {
        expect(isChoiceRecord(item)).toBe(true);
        const c = item as ChoiceItemRecord;
        expect(c.choice_logprobs).toHaveLength(4);
        // "46" + <eos>: two digits and the end token.
        expect(c.choice_token_counts.every((n, k) => n === c.choices[k].length + 1)).toBe(true);
        expect(c.metrics).toEqual({
          mc_grade: mcGrade(c.choice_logprobs, c.answer_index),
          mc_grade_norm: mcGradeNorm(c.choice_logprobs, c.choices, c.answer_index),
          brier_score: brierScore(c.choice_logprobs, c.answer_index),
          prob_correct: probCorrect(c.choice_logprobs, c.answer_index),
        });
      }
    }
  });

  it('shows MC grade and p(correct) per model: the largest models are right, the smallest near chance', () => {
    const mean = (i: number, id: string) => result.models[i].aggregates.variants.find((v) => v.variant === 'add-choice/4d')!.metrics[id].mean;
    const last = result.models.length - 1;
    expect(mean(last, 'mc_grade')).toBeGreaterThan(0.9);
    expect(mean(0, 'mc_grade')).toBeLessThan(0.7);
    expect(mean(last, 'prob_correct')).toBeGreaterThan(mean(0, 'prob_correct'));
    expect(mean(last, 'brier_score')).toBeLessThan(mean(0, 'brier_score'));
    expect(Object.keys(result.emergence['add-choice/4d']).sort()).toEqual([...CHOICE_METRIC_IDS].sort());
    // The mirage ratio of a choice variant: MC grade against the Brier score and p(correct).
    const em = result.emergence_measures!['add-choice/4d'];
    expect(em.reference).toBe('mc_grade');
    expect(Object.keys(em.metrics).sort()).toEqual([...CHOICE_METRIC_IDS].sort());
    expect(Object.keys(em.mirage).sort()).toEqual(['brier_score', 'prob_correct']);
    expect(result.intervals).toBe('standard');
  });

  it('round-trips through the run file; a misspelt metric id or an impossible grade is refused', () => {
    expect(parseRunFile(serializeRunFile(result))).toEqual(result);
    const typo = JSON.parse(serializeRunFile(result));
    typo.models[0].items[0].metrics.mc_grdae = 1;
    expect(() => parseRunFile(JSON.stringify(typo))).toThrow(/mc_grdae/);
    const bad = JSON.parse(serializeRunFile(result));
    bad.models[0].items[0].metrics.mc_grade = 2;
    expect(() => parseRunFile(JSON.stringify(bad))).toThrow(/damaged/);
  });

  it('shares as a link (aggregates: choice items have no compact layout) that shows the same numbers', () => {
    const link = encodeShareLink(result);
    expect(link.includesItems).toBe(false);
    const shared = decodeShareLink(link.fragment);
    const view = sharedRunToView(shared);
    expect(view.models.map((m) => m.aggregates)).toEqual(result.models.map((m) => m.aggregates));
    expect(view.emergence).toEqual(result.emergence);
    // No items in the link: the measures travel stored, every number range-checked on decode.
    expect(view.emergence_measures).toEqual(result.emergence_measures);
  });

  it('writes CSV rows whose output is the preferred choice', () => {
    const csv = runToCsv(result);
    expect(csv.split('\r\n')[0]).toContain('mc_grade');
    expect(csv.split('\r\n').length).toBe(result.models.length * 60 + 2);
  });

  it('resumes: a run given the finished models and half the items of one equals the full run (log-likelihoods to 1e-5: choice rows share a key/value cache whose batch shape differs)', async () => {
    const partialItems = { [result.models[3].id]: result.models[3].items.slice(0, 30) };
    const resumed = await runExperiment(result.spec, engine, { ...opts, completed: result.models.slice(0, 3), partialItems });
    resumed.models.forEach((m, i) => {
      const want = result.models[i].items as ChoiceItemRecord[];
      const got = m.items as ChoiceItemRecord[];
      expect(got.map((it) => it.id)).toEqual(want.map((it) => it.id));
      got.forEach((it, j) => {
        expect(it.metrics.mc_grade, it.id).toBe(want[j].metrics.mc_grade);
        it.choice_logprobs.forEach((lp, k) => expect(Math.abs(lp - want[j].choice_logprobs[k]), it.id).toBeLessThan(1e-5));
        expect(Math.abs(it.metrics.prob_correct - want[j].metrics.prob_correct), it.id).toBeLessThan(1e-5);
      });
    });
    for (const [variant, scores] of Object.entries(result.emergence)) expect(resumed.emergence[variant].mc_grade).toBe(scores.mc_grade);
  });
});

describe('an imported BIG-bench task on the bundled ladder', () => {
  const text = readFileSync(join(REPO_ROOT, 'tests/fixtures/tasks/sums-choice.json'), 'utf8');
  const { data, hash } = parseTaskFile(text, 'sums-choice.json');
  let result: RunResult;
  beforeAll(async () => {
    const base = defaultSpec(ladder, 'cpu');
    const spec = parseSpec({ ...base, task: { kind: 'imported', name: data.name, format: 'bigbench', hash, perVariant: 20, seed: 5, kShot: 0 }, metrics: [...CHOICE_METRIC_IDS] });
    result = await runExperiment(spec, engine, { ...opts, taskData: data });
  });

  it('runs every example as multiple choice and embeds the task in the result', () => {
    expect(result.task_data).toEqual(data);
    for (const m of result.models) {
      expect(m.status).toBe('done');
      expect(m.items).toHaveLength(data.examples.length);
      expect(m.aggregates.variants.map((v) => v.variant)).toEqual(['two-digit-sums-choice']);
    }
  });

  it('a run file whose embedded task does not match the spec hash is refused', () => {
    const edited = JSON.parse(serializeRunFile(result));
    edited.task_data.examples[0].input = '99+1=';
    expect(() => parseRunFile(JSON.stringify(edited))).toThrow(/SHA-256 differs/);
    expect(parseRunFile(serializeRunFile(result)).task_data).toEqual(data);
  });

  it('a link carries the examples when they fit, so the shared view has prompts and choices', () => {
    const link = encodeShareLink(result);
    expect(link.includesTask).toBe(true);
    const shared = decodeShareLink(link.fragment);
    expect(shared.taskData).toEqual(data);
    expect(sharedRunToView(shared).task_data).toEqual(data);
  });

  it('the CLI runs a task file (choice and generation), exit code 0, results file written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emergence-cli-'));
    try {
      for (const file of ['sums-choice.json', 'sums-gen.jsonl']) {
        const out = join(dir, `${file}.run.json`);
        const r = spawnSync('npx', ['tsx', 'src/cli/eval.ts', '--ladder', 'arith', '--task-file', `tests/fixtures/tasks/${file}`, '--n', '20', '--seed', '5', '--out', out], { cwd: REPO_ROOT, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const run = parseRunFile(readFileSync(out, 'utf8'));
        expect(run.spec.task.kind).toBe('imported');
        expect(run.task_data?.examples.length).toBeGreaterThan(0);
      }
      const r = spawnSync('npx', ['tsx', 'src/cli/eval.ts', '--task', 'add-choice', '--digits', '2', '--n', '5', '--models', 'arith-l1-d12'], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('MC grade');
      const bad = spawnSync('npx', ['tsx', 'src/cli/eval.ts', '--task-file', 'tests/fixtures/tasks/nope.json'], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/cannot read it/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
