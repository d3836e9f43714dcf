/**
 * Writes lm-eval output files for given model answers the way lm-evaluation-harness logs them
 * (evaluator.py + EvaluationTracker.save_results_samples, 0.4.x): per model a folder
 * `<owner>__<name>/` with `results_<date>.json` and `samples_<task>_<date>.jsonl`; samples carry
 * doc_id, doc, target (str), arguments as {gen_args_i: {arg_j}}, resps and filtered_resps passed
 * through sanitize_list (every leaf a Python str(): "-1.25", "False"), filter, metrics, the
 * hashes and the per-sample metric values. Used to build fixtures and the Node round trip.
 */
import type { ExperimentSpec } from '../../../src/lib/spec/schema.ts';
import type { ImportedTaskData } from '../../../src/lib/tasks/imported/data.ts';
import { continuationOf } from '../../../src/lib/tasks/types.ts';
import type { RunResult } from '../../../src/lib/results/types.ts';
import { docOf, exportedVariants, docHash, hashString, type LmEvalFile } from '../../../src/lib/interop/index.ts';

export type SimAnswer = string | { lls: number[]; greedy: boolean[] };
export interface SimModel {
  id: string;
  batchSize?: number;
  /** Unix seconds of the run. */
  date: number;
  answers: Record<string, SimAnswer>;
}

/** Python's repr of a float: shortest round-trip digits, exponent form outside [1e-4, 1e16). */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp >= -5 + 1 && exp < 16) {
    const s = String(x);
    return /[.e]/.test(s) ? s : `${s}.0`;
  }
  const m = mant.includes('.') ? mant : `${mant}`;
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

const pyBool = (b: boolean) => (b ? 'True' : 'False');

/** json.dumps(x, ensure_ascii=False) without indent: ", " and ": " separators. */
export function pyDumps(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(pyDumps).join(', ')}]`;
  if (x !== null && typeof x === 'object') return `{${Object.entries(x).map(([k, v]) => `${JSON.stringify(k)}: ${pyDumps(v)}`).join(', ')}}`;
  return JSON.stringify(x);
}

function dateId(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(/:/g, '-').replace('Z', '').slice(0, 26);
}

function argmax(xs: number[]): number {
  let best = 0;
  for (let k = 1; k < xs.length; k++) if (xs[k] > xs[best]) best = k;
  return best;
}

/**
 * `exported`: the task folder's files; when given, each doc is read back from the exported JSONL
 * (as lm-eval's json loader would), so the round trip tests the export too.
 */
export function lmEvalLogs(spec: ExperimentSpec, models: SimModel[], taskData: ImportedTaskData | null = null, root = 'results', exported?: Record<string, string>): LmEvalFile[] {
  const variants = exportedVariants(spec, { taskData });
  const files: LmEvalFile[] = [];
  for (const model of models) {
    const dir = `${root}/${model.id.replace(/\//g, '__')}`;
    const date = dateId(model.date);
    const results: Record<string, Record<string, unknown>> = {};
    const configs: Record<string, unknown> = {};
    const nSamples: Record<string, unknown> = {};
    const hashes: Record<string, string> = {};
    for (const v of variants) {
      const lines: string[] = [];
      const sums: Record<string, number> = {};
      v.items.forEach((item, docId) => {
        const answer = model.answers[item.id];
        if (answer === undefined) throw new Error(`no answer for ${item.id}`);
        const doc = exported ? (JSON.parse(exported[`${v.task}.jsonl`].trim().split('\n')[docId]) as ReturnType<typeof docOf>) : docOf(item, v.listTargets);
        if (doc.id !== item.id) throw new Error(`exported doc ${docId} of ${v.task} is ${String(doc.id)}, not ${item.id}`);
        let sample: Record<string, unknown>;
        let metrics: Record<string, number>;
        if (item.kind === 'generation') {
          if (typeof answer !== 'string') throw new Error('generation needs text');
          const targets = [item.target, ...(item.alternatives ?? [])];
          const trim = (s: string) => s.replace(/^\s+/, '').replace(/\s+$/, '');
          metrics = { exact_match: targets.some((t) => trim(t) === trim(answer)) ? 1 : 0 };
          const target = v.listTargets ? targets : item.target;
          sample = {
            doc_id: docId,
            doc,
            target: Array.isArray(target) ? `[${target.map((t) => `'${t}'`).join(', ')}]` : target,
            arguments: { gen_args_0: { arg_0: item.prompt, arg_1: { until: item.stop, max_gen_toks: 99, do_sample: false, temperature: 0.0 } } },
            resps: [[answer]],
            filtered_resps: [answer],
            filter: 'none',
            metrics: ['exact_match'],
            doc_hash: docHash(doc),
            prompt_hash: hashString(item.prompt),
            target_hash: hashString(Array.isArray(target) ? String(target) : target),
            ...metrics,
          };
        } else {
          if (typeof answer === 'string') throw new Error('choice needs lls');
          const lens = item.choices.map((c) => c.length);
          const pred = argmax(answer.lls);
          const predNorm = argmax(answer.lls.map((l, k) => l / lens[k]));
          metrics = { acc: pred === item.answerIndex ? 1 : 0, acc_norm: predNorm === item.answerIndex ? 1 : 0 };
          const args: Record<string, unknown> = {};
          item.choices.forEach((_, k) => (args[`gen_args_${k}`] = { arg_0: item.prompt, arg_1: continuationOf(item, k) }));
          sample = {
            doc_id: docId,
            doc,
            target: String(item.answerIndex),
            arguments: args,
            resps: answer.lls.map((l, k) => [[pyFloat(l), pyBool(answer.greedy[k])]]),
            filtered_resps: answer.lls.map((l, k) => [pyFloat(l), pyBool(answer.greedy[k])]),
            filter: 'none',
            metrics: ['acc', 'acc_norm'],
            doc_hash: docHash(doc),
            prompt_hash: hashString(item.prompt),
            target_hash: hashString(String(item.answerIndex)),
            ...metrics,
          };
        }
        for (const [k, x] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + x;
        lines.push(pyDumps(sample));
      });
      const n = v.items.length;
      results[v.task] = { alias: v.task, ...Object.fromEntries(Object.entries(sums).flatMap(([k, s]) => [[`${k},none`, s / n], [`${k}_stderr,none`, 0]])) };
      configs[v.task] = {
        task: v.task,
        dataset_path: 'json',
        dataset_kwargs: { data_files: { test: `${v.task}.jsonl` } },
        output_type: v.kind === 'choice' ? 'multiple_choice' : 'generate_until',
        metadata: { version: 1.0, emergence_lab_variant: v.variant, emergence_lab_spec: JSON.stringify(spec) },
      };
      nSamples[v.task] = { original: n, effective: n };
      hashes[v.task] = hashString(lines.join(''));
      files.push({ name: `${dir}/samples_${v.task}_${date}.jsonl`, text: lines.join('\n') + '\n' });
    }
    files.push({
      name: `${dir}/results_${date}.json`,
      text: JSON.stringify(
        {
          results,
          group_subtasks: Object.fromEntries(Object.keys(results).map((t) => [t, []])),
          configs,
          versions: Object.fromEntries(Object.keys(results).map((t) => [t, 1.0])),
          'n-shot': Object.fromEntries(Object.keys(results).map((t) => [t, 0])),
          higher_is_better: Object.fromEntries(Object.keys(results).map((t) => [t, { exact_match: true, acc: true, acc_norm: true }])),
          'n-samples': nSamples,
          config: { model: 'hf', model_args: `pretrained=${model.id},dtype=float32`, batch_size: model.batchSize ?? 1, device: 'cuda:0', random_seed: 0, numpy_seed: 1234, torch_seed: 1234 },
          git_hash: 'a1b2c3d',
          date: model.date,
          transformers_version: '4.44.2',
          lm_eval_version: '0.4.9',
          task_hashes: hashes,
          model_source: 'hf',
          model_name: model.id,
          model_name_sanitized: model.id.replace(/\//g, '__'),
        },
        null,
        2,
      ),
    });
  }
  return files;
}

/** The lab run's answers as lm-eval would have logged them for the same models. */
export function answersOfRun(run: RunResult, date: number): SimModel[] {
  return run.models.map((m, i) => ({
    id: m.id,
    date: date + i,
    answers: Object.fromEntries(
      m.items.map((item) => [item.id, item.kind === 'choice' ? { lls: item.choice_logprobs, greedy: item.choice_is_greedy } : item.output_text]),
    ),
  }));
}
