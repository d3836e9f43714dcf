import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { exportLmEvalTask, importLmEvalRun, InteropError, LAB_GREEDY_MARGIN, parseParamsTable, type LmEvalFile } from '../../../src/lib/interop/index.ts';
import { DEFAULT_GREEDY_MARGIN } from '../../../src/lib/engine/types.ts';
import { RunResultSchema } from '../../../src/lib/results/schema.ts';
import { GEN_SPEC, MC_SPEC } from '../../fixtures/lm-eval/specs.ts';

const ROOT = join(import.meta.dirname, '../../fixtures/lm-eval');

function readTree(dir: string): LmEvalFile[] {
  const out: LmEvalFile[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...readTree(path));
    else out.push({ name: relative(ROOT, path), text: readFileSync(path, 'utf8') });
  }
  return out;
}
const logs = (kind: 'gen' | 'mc') => readTree(join(ROOT, kind, 'results'));

function edit(files: LmEvalFile[], match: RegExp, f: (text: string) => string): LmEvalFile[] {
  let hit = false;
  const out = files.map((file) => {
    if (hit || !match.test(file.name)) return file;
    hit = true;
    return { ...file, text: f(file.text) };
  });
  expect(hit).toBe(true);
  return out;
}

function errorOf(fn: () => unknown): InteropError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InteropError);
    return e as InteropError;
  }
  throw new Error('expected an InteropError');
}

describe('importLmEvalRun on harness-shaped logs', () => {
  it('reads generation logs of three models, recomputes text metrics and marks token metrics unavailable', () => {
    const { run, mismatches, warnings } = importLmEvalRun(logs('gen'));
    expect(v.safeParse(RunResultSchema, run).success).toBe(true);
    expect(run.models.map((m) => [m.id, m.params])).toEqual([
      ['EleutherAI/pythia-70m', 70_426_624],
      ['EleutherAI/pythia-160m', 162_322_944],
      ['EleutherAI/pythia-410m', 405_334_016],
    ]);
    const byId = new Map(run.models.map((m) => [m.id, m]));
    const big = byId.get('EleutherAI/pythia-410m')!;
    const small = byId.get('EleutherAI/pythia-70m')!;
    const mid = byId.get('EleutherAI/pythia-160m')!;
    expect(big.items).toHaveLength(6);
    expect(big.aggregates.variants.map((a) => a.metrics.exact_match.mean)).toEqual([1, 1]);
    expect(small.aggregates.variants.map((a) => a.metrics.exact_match.mean)).toEqual([0, 0]);
    expect(mid.aggregates.variants.map((a) => a.metrics.exact_match.mean)).toEqual([1 / 3, 1 / 3]);
    // Token-level metrics: null per item, absent from aggregates, reason recorded.
    const item = big.items[0];
    expect(item.kind).not.toBe('choice');
    if (item.kind === 'choice') return;
    expect(item.metrics.target_logprob).toBeNull();
    expect(item.metrics.char_edit_distance).toBe(0);
    expect(item.token_ids_unavailable).toMatch(/token ids/);
    expect(big.aggregates.variants[0].metrics.target_logprob).toBeUndefined();
    expect(big.provenance?.unavailableMetrics?.target_logprob).toMatch(/not token ids/);
    // The 160m model answered " 17"-style wrong sums: character edit distance is positive there.
    const wrong = mid.items.flatMap((i) => (i.kind === 'choice' || i.metrics.exact_match !== 0 ? [] : [i.metrics.char_edit_distance]));
    expect(wrong).toHaveLength(4);
    expect(wrong.every((d) => (d ?? 0) > 0)).toBe(true);
    // Provenance and comparison with lm-eval's own exact_match.
    expect(big.provenance?.source).toBe('lm-eval');
    expect(big.provenance?.lmEval?.version).toBe('0.4.9');
    expect(big.provenance?.lmEval?.gitHash).toBe('a1b2c3d');
    expect(big.provenance?.lmEval?.modelArgs).toBe('pretrained=EleutherAI/pythia-410m,dtype=float32');
    expect(Object.keys(big.provenance?.lmEval?.taskHashes ?? {})).toEqual(['emergence_lab_add_1d', 'emergence_lab_add_2d']);
    expect(big.provenance?.lmEval?.comparisons.map((c) => c.lmEvalMetric)).toEqual(['exact_match,none', 'exact_match,none']);
    expect(mismatches).toEqual([]);
    expect(warnings).toEqual([]);
    expect(run.env.runtime).toBe('lm-evaluation-harness 0.4.9');
  });

  it('reads multiple-choice logs (stringified resps) into every choice metric and agrees with acc / acc_norm', () => {
    const { run, mismatches } = importLmEvalRun(logs('mc'));
    expect(v.safeParse(RunResultSchema, run).success).toBe(true);
    const big = run.models.find((m) => m.id === 'EleutherAI/pythia-410m')!;
    const first = big.items[0];
    if (first.kind !== 'choice') throw new Error('choice item expected');
    expect(first.choice_logprobs[first.answer_index]).toBe(-0.75);
    expect(first.choice_is_greedy[first.answer_index]).toBe(true);
    expect(first.choice_token_counts).toEqual([]);
    expect(Object.keys(big.aggregates.variants[0].metrics).sort()).toEqual(['brier_score', 'mc_grade', 'mc_grade_norm', 'prob_correct']);
    const comparisons = run.models.flatMap((m) => m.provenance?.lmEval?.comparisons ?? []);
    expect(comparisons.length).toBe(3 * 2 * 2);
    expect(mismatches).toEqual([]);
    expect(Object.keys(run.emergence)).toEqual(['add-choice/1d', 'add-choice/2d']);
  });

  it('shows a disagreement with lm-eval\'s aggregate instead of hiding it', () => {
    const files = edit(logs('mc'), /pythia-70m\/results_/, (t) => t.replace('"acc,none": 0', '"acc,none": 0.25'));
    const { mismatches } = importLmEvalRun(files);
    expect(mismatches).toHaveLength(1);
    expect(mismatches[0]).toMatchObject({ lmEvalMetric: 'acc,none', labMetric: 'mc_grade', lmEval: 0.25, lab: 0, agrees: false });
  });

  it('takes parameter counts from a table and warns about unknown models', () => {
    const files = logs('gen').map((f) => ({ ...f, text: f.text.replaceAll('EleutherAI/pythia-70m', 'acme/tiny-model') }));
    const { run, warnings } = importLmEvalRun(files);
    expect(run.models.find((m) => m.id === 'acme/tiny-model')?.params).toBeNull();
    expect(warnings.join(' ')).toMatch(/--params acme\/tiny-model=COUNT/);
    const withTable = importLmEvalRun(files, { params: parseParamsTable('acme/tiny-model=12m') });
    expect(withTable.run.models.find((m) => m.id === 'acme/tiny-model')?.params).toBe(12_000_000);
  });
});

describe('bad lm-eval input names the file and line', () => {
  it('refuses a truncated samples file', () => {
    const files = edit(logs('gen'), /pythia-160m\/samples_emergence_lab_add_2d/, (t) => t.trimEnd().slice(0, -40));
    const e = errorOf(() => importLmEvalRun(files));
    expect(e.message).toMatch(/samples_emergence_lab_add_2d_.*\.jsonl, line 3: the last line is not complete JSON/);
  });
  it('refuses NaN log-probs, written as "nan" strings or bare NaN', () => {
    const asString = edit(logs('mc'), /pythia-410m\/samples_emergence_lab_add_choice_1d/, (t) => t.replace('"-0.75"', '"nan"'));
    expect(errorOf(() => importLmEvalRun(asString)).message).toMatch(/add_choice_1d.*line 1: the log-prob of choice \d is "nan", not a finite log-prob/);
    const bare = edit(logs('mc'), /pythia-410m\/samples_emergence_lab_add_choice_1d/, (t) => t.replace('"-0.75"', 'NaN'));
    expect(errorOf(() => importLmEvalRun(bare)).message).toMatch(/line 1: the sample holds NaN/);
  });
  it('refuses a doc_hash that is not the lab\'s doc', () => {
    const files = edit(logs('gen'), /pythia-70m\/samples_emergence_lab_add_1d/, (t) => {
      const lines = t.split('\n');
      lines[1] = lines[1].replace(/"doc_hash": "[0-9a-f]{64}"/, `"doc_hash": "${'0'.repeat(64)}"`);
      return lines.join('\n');
    });
    expect(errorOf(() => importLmEvalRun(files)).message).toMatch(/add_1d.*line 2: doc_hash of item "add-1d-1" is 000000000000…/);
  });
  it('refuses a prompt that is not byte-identical', () => {
    const files = edit(logs('gen'), /pythia-70m\/samples_emergence_lab_add_1d/, (t) => t.replace('"arg_0": "Q:', '"arg_0": "<|system|>Q:'));
    expect(errorOf(() => importLmEvalRun(files)).message).toMatch(/line 1: the prompt of item "add-1d-0" is not byte-identical/);
  });
  it('refuses foreign tasks and missing samples files', () => {
    const foreign = edit(logs('gen'), /pythia-70m\/results_/, (t) => t.replace('"results": {', '"results": {\n    "hellaswag": {"acc,none": 0.3},'));
    expect(errorOf(() => importLmEvalRun(foreign)).message).toMatch(/pythia-70m\/results_.*: task "hellaswag" was not exported by the lab/);
    const missing = logs('gen').filter((f) => !/pythia-160m\/samples_emergence_lab_add_2d/.test(f.name));
    expect(errorOf(() => importLmEvalRun(missing)).message).toMatch(/pythia-160m\/results_.*: no samples_emergence_lab_add_2d_.* beside it; run lm_eval with --log_samples/);
    expect(errorOf(() => importLmEvalRun([])).message).toMatch(/No files/);
    expect(errorOf(() => importLmEvalRun(logs('gen').filter((f) => !f.name.includes('results_')))).message).toMatch(/is a results_\*\.json file/);
  });
  it('refuses items of another seed and huge files', () => {
    const other = { ...GEN_SPEC, task: { ...GEN_SPEC.task, seed: 6 } };
    expect(errorOf(() => importLmEvalRun(logs('gen'), { spec: other })).message).toMatch(/line 1: doc id "add-1d-0"|doc_hash of item/);
    const huge = [{ name: 'results/x/results_2024.json', text: ' '.repeat(64 * 1024 * 1024 + 1) }];
    expect(errorOf(() => importLmEvalRun(huge)).message).toMatch(/results_2024\.json: the file is 67 MB; at most 64 MB/);
  });
});

describe('exportLmEvalTask', () => {
  it('writes byte-identical prompts, until and max_gen_toks from the lab\'s greedy margin', () => {
    expect(LAB_GREEDY_MARGIN).toBe(DEFAULT_GREEDY_MARGIN);
    const { files, tasks } = exportLmEvalTask(GEN_SPEC);
    expect(tasks.map((t) => t.task)).toEqual(['emergence_lab_add_1d', 'emergence_lab_add_2d']);
    const yaml = files['emergence_lab_add_2d.yaml'];
    expect(yaml).toContain('output_type: "generate_until"');
    expect(yaml).toContain('  until:\n    - "\\n"');
    // 2-digit sums have at most 3 digits: " 123" is 4 bytes, + margin 4.
    expect(yaml).toContain(`  max_gen_toks: ${4 + LAB_GREEDY_MARGIN}`);
    expect(yaml).toContain('num_fewshot: 0');
    const docs = files['emergence_lab_add_1d.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as { prompt: string });
    expect(docs[0].prompt).toMatch(/^Q: What is \d plus \d\?\nA: \d+\n\nQ: What is \d plus \d\?\nA:$/);
    expect(files['README.md']).toContain('lm_eval --model hf');
    expect(files['README.md']).toContain('EleutherAI/pythia-12b');
    expect(files['README.md']).toContain('--log_samples');
    const mc = exportLmEvalTask(MC_SPEC).files['emergence_lab_add_choice_1d.yaml'];
    expect(mc).toContain('target_delimiter: " "');
    expect(mc).toContain('doc_to_choice: "choices"');
  });
  it('refuses end-token templates unless asked, then warns in the README', () => {
    const plain = { ...GEN_SPEC, task: { ...GEN_SPEC.task, template: 'arith-plain' as const, kShot: 0 } };
    expect(errorOf(() => exportLmEvalTask(plain)).message).toMatch(/end token/);
    const { files, warnings } = exportLmEvalTask(plain, { allowEndToken: true });
    expect(warnings[0]).toMatch(/cannot append it/);
    expect(files['README.md']).toMatch(/\*\*Warnings\*\*/);
  });
});

describe('an imported run as a run file', () => {
  it('keeps provenance and token-less items through serializeRunFile / parseRunFile, rungs ordered by size', async () => {
    const { parseRunFile, serializeRunFile } = await import('../../../src/lib/share/run-file.ts');
    const { run } = importLmEvalRun(logs('gen'));
    expect(run.models.map((m) => m.params)).toEqual([70_426_624, 162_322_944, 405_334_016]);
    const back = parseRunFile(serializeRunFile(run));
    expect(back).toEqual(run);
    expect(back.models[2].provenance?.lmEval?.files).toHaveLength(3);
  });
});

describe('token-less records in the run schema', () => {
  it('accept only empty token arrays with a reason, null token metrics, and report errors of the right schema', async () => {
    const { parseRunFile, serializeRunFile } = await import('../../../src/lib/share/run-file.ts');
    const { run } = importLmEvalRun(logs('gen'));
    const text = serializeRunFile(run);
    const withTokens = JSON.parse(text);
    withTokens.models[0].items[0].target_token_ids = [5];
    expect(() => parseRunFile(JSON.stringify(withTokens))).toThrow(/models\.0\.items\.0\.target_token_ids/);
    const withLogprob = JSON.parse(text);
    withLogprob.models[0].items[0].metrics.target_logprob = -1;
    expect(() => parseRunFile(JSON.stringify(withLogprob))).toThrow(/target_logprob/);
    const noReason = JSON.parse(text);
    delete noReason.models[0].items[0].token_ids_unavailable;
    // Without the reason it is read as a lab record, whose target needs tokens.
    expect(() => parseRunFile(JSON.stringify(noReason))).toThrow(/the target has no tokens/);
  });
});
