/**
 * Export an experiment as an lm-evaluation-harness task folder: one YAML and one JSONL per
 * variant, the spec, and a README with the exact `lm_eval` command. Prompts and continuations
 * are the lab's bytes: `doc_to_text` names the doc's `prompt` field (lm-eval returns a field's
 * value untouched when the template is a column name), `num_fewshot: 0` because the lab's
 * k-shot examples are already in the prompt, and multiple choice scores
 * `target_delimiter + choice` exactly as the lab's `continuationOf` does.
 */
import type { ExperimentSpec } from '../spec/schema.ts';
import type { ImportedTaskData } from '../tasks/imported/data.ts';
import { InteropError } from './errors.ts';
import { docOf, exportedVariants, type ExportedVariant } from './tasks.ts';
import { toYaml, type YamlValue } from './yaml.ts';
import { PYTHIA_SUITE } from './params.ts';

/**
 * The lab's greedy generation runs for the target's tokens + this margin (engine
 * DEFAULT_GREEDY_MARGIN; the core may not import the engine, a unit test keeps them equal).
 */
export const LAB_GREEDY_MARGIN = 4;
/** Version written to each task's metadata; bump when the export's meaning changes. */
export const EXPORT_VERSION = 1;
export const SPEC_FILE = 'emergence-lab-spec.json';

export interface LmEvalExport {
  /** Relative path → file text. */
  files: Record<string, string>;
  tasks: { variant: string; task: string; kind: 'generation' | 'choice'; items: number }[];
  warnings: string[];
}

export interface ExportOptions {
  taskData?: ImportedTaskData | null;
  /** Models for the README's command (Hub ids); default the Pythia suite 14M–12B. */
  models?: readonly string[];
  /**
   * Export a task whose items need the model's end token after the target (the bundled ladder's
   * arith-plain template). lm-eval cannot append it, so by default this is refused.
   */
  allowEndToken?: boolean;
}

const END_TOKEN_WARNING =
  'This task appends the model\'s end token after each answer (the bundled ladder\'s "a+b=" template). lm-eval cannot append it: its greedy outputs stop only at the stop strings or max_gen_toks, and choice log-likelihoods lack the end token, so numbers will differ from the lab\'s. Export a template without an end token (qa, math-expr) for Hub models.';

/** Upper bound of the target's tokens: every BPE or byte-fallback token covers at least one UTF-8 byte. */
function maxTargetBytes(v: ExportedVariant): number {
  let max = 1;
  for (const item of v.items) {
    if (item.kind !== 'generation') continue;
    for (const t of [item.target, ...(item.alternatives ?? [])]) max = Math.max(max, new TextEncoder().encode(t).length);
  }
  return max;
}

function stopStrings(v: ExportedVariant, warnings: string[]): string[] {
  const sets = new Set(v.items.map((i) => (i.kind === 'generation' ? JSON.stringify(i.stop) : '[]')));
  if (sets.size > 1) warnings.push(`Variant "${v.variant}": items stop at different strings; the task stops at all of them.`);
  const all = new Set<string>();
  for (const i of v.items) if (i.kind === 'generation') for (const s of i.stop) all.add(s);
  return [...all];
}

function taskYaml(spec: ExperimentSpec, v: ExportedVariant, warnings: string[]): string {
  const common: Record<string, YamlValue> = {
    task: v.task,
    dataset_path: 'json',
    dataset_kwargs: { data_files: { test: `${v.task}.jsonl` } },
    test_split: 'test',
  };
  const metadata: Record<string, YamlValue> = {
    version: EXPORT_VERSION,
    emergence_lab_variant: v.variant,
    // The spec travels in lm-eval's results file (configs → metadata), so an import can rebuild the items.
    emergence_lab_spec: JSON.stringify(spec),
  };
  let body: Record<string, YamlValue>;
  if (v.kind === 'generation') {
    body = {
      output_type: 'generate_until',
      doc_to_text: 'prompt',
      doc_to_target: v.listTargets ? 'targets' : 'target',
      generation_kwargs: { until: stopStrings(v, warnings), max_gen_toks: maxTargetBytes(v) + LAB_GREEDY_MARGIN, do_sample: false, temperature: 0 },
      num_fewshot: 0,
      metric_list: [
        // The lab's exact match trims leading and trailing whitespace; these regexes do the same.
        { metric: 'exact_match', aggregation: 'mean', higher_is_better: true, ignore_case: false, ignore_punctuation: false, regexes_to_ignore: ['^\\s+', '\\s+$'] },
      ],
    };
  } else {
    const delimiters = new Set(v.items.map((i) => (i.kind === 'choice' ? i.delimiter : '')));
    if (delimiters.size > 1) throw new InteropError(`Variant "${v.variant}": items use different choice delimiters; lm-eval has one target_delimiter per task.`);
    const counts = new Set(v.items.map((i) => (i.kind === 'choice' ? i.choices.length : 0)));
    const metrics: YamlValue[] = [
      { metric: 'acc', aggregation: 'mean', higher_is_better: true },
      { metric: 'acc_norm', aggregation: 'mean', higher_is_better: true },
    ];
    // lm-eval's brier_score needs the same number of choices on every doc.
    if (counts.size === 1) metrics.push({ metric: 'brier_score', higher_is_better: false });
    body = {
      output_type: 'multiple_choice',
      doc_to_text: 'prompt',
      doc_to_choice: 'choices',
      doc_to_target: 'answer',
      target_delimiter: [...delimiters][0],
      num_fewshot: 0,
      metric_list: metrics,
    };
  }
  return toYaml({ ...common, ...body, metadata }, [
    `Emergence Lab task, variant "${v.variant}" (${v.items.length} items). Generated: edit the lab's experiment instead.`,
  ]);
}

function readme(spec: ExperimentSpec, variants: ExportedVariant[], models: readonly string[], warnings: string[]): string {
  const tasks = variants.map((v) => v.task).join(',');
  const modelList = models.map((m) => `  ${m}`).join(' \\\n');
  return `# Emergence Lab experiment for lm-evaluation-harness

${variants.length} task(s), ${variants.reduce((n, v) => n + v.items.length, 0)} items, made from the lab's spec in \`${SPEC_FILE}\`.
${warnings.length ? `\n**Warnings**\n\n${warnings.map((w) => `- ${w}`).join('\n')}\n` : ''}
| task | lab variant | output type | items |
|---|---|---|---|
${variants.map((v) => `| ${v.task} | ${v.variant} | ${v.kind === 'choice' ? 'multiple_choice' : 'generate_until'} | ${v.items.length} |`).join('\n')}

## Run

Run from inside this folder: the YAML files name their JSONL by a relative path.

\`\`\`bash
# from inside this folder
for model in \\
${modelList}
do
  lm_eval --model hf \\
    --model_args "pretrained=$model,dtype=float32" \\
    --tasks ${tasks} \\
    --include_path . \\
    --num_fewshot 0 \\
    --batch_size 1 \\
    --device cuda:0 \\
    --log_samples \\
    --output_path results/
done
\`\`\`

- \`--batch_size 1\`: lm-eval's log-likelihoods can change with the batch size (harness issues #704, #1645).
- Any lm-eval model type works (\`--model vllm\`, accelerate with several GPUs); keep \`--log_samples\`: the lab recomputes every metric from the samples.
- The prompts already hold the lab's k-shot examples (k = ${spec.task.kShot}); keep \`--num_fewshot 0\` and do not add a chat template or a system prompt.

## Back into the lab

\`\`\`bash
npm run lm-eval -- import results/ --out run.json
\`\`\`

or open every \`results_*.json\` and \`samples_*.jsonl\` with "Import lm-eval logs" on the lab's page. Parameter counts come from
the lab's list of known models (the Pythia suite) or from \`--params owner/name=count,…\`.

## What differs from a run in the lab

- lm-eval logs texts and summed log-likelihoods, not token ids: token edit distance, target log-prob, mean token
  log-prob, per-token probability, greedy consistency and predicted exact match are marked unavailable for imported
  generation tasks; exact match, character edit distance and digit accuracy are recomputed from the outputs.
- Greedy generation stops at the stop strings, the model's end-of-text token or \`max_gen_toks\` (the longest target in
  UTF-8 bytes + ${LAB_GREEDY_MARGIN}); the lab stops after the target's tokens + ${LAB_GREEDY_MARGIN}. Outputs that run on without a stop string may
  be longer than in the lab (exact match is unaffected; edit distances can be larger).
- lm-eval cannot append a model's end token to a target, so tasks whose template uses one (the bundled ladder's "a+b=")
  are not meant for it.
`;
}

/** Files of an lm-eval task folder for the spec (InteropError when the task cannot be exported faithfully). */
export function exportLmEvalTask(spec: ExperimentSpec, options: ExportOptions = {}): LmEvalExport {
  const variants = exportedVariants(spec, { taskData: options.taskData ?? null });
  const warnings: string[] = [];
  if (variants.some((v) => v.items.some((i) => i.endToken))) {
    if (!options.allowEndToken) throw new InteropError(`Cannot export for lm-eval: ${END_TOKEN_WARNING}`);
    warnings.push(END_TOKEN_WARNING);
  }
  const files: Record<string, string> = {};
  for (const v of variants) {
    files[`${v.task}.yaml`] = taskYaml(spec, v, warnings);
    files[`${v.task}.jsonl`] = v.items.map((i) => JSON.stringify(docOf(i, v.listTargets))).join('\n') + '\n';
  }
  files[SPEC_FILE] = JSON.stringify({ spec, ...(options.taskData ? { task_data: options.taskData } : {}) }, null, 1) + '\n';
  files['README.md'] = readme(spec, variants, options.models ?? PYTHIA_SUITE.map((m) => m.id), warnings);
  return {
    files,
    tasks: variants.map((v) => ({ variant: v.variant, task: v.task, kind: v.kind, items: v.items.length })),
    warnings,
  };
}
