/**
 * npm run lm-eval -- export [spec flags | --spec run.json] --out DIR
 * npm run lm-eval -- import DIR [--spec run.json] [--params id=count,…] --out run.json
 * npm run lm-eval -- merge a.json b.json … --out merged.json
 * The same experiment on lm-evaluation-harness (any GPU cluster), and back (docs/lm-eval.md).
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultSpec } from '../lib/catalog/ladder.ts';
import { exportLmEvalTask, importLmEvalRun, mergeRuns, parseParamsTable, SPEC_FILE, type LmEvalFile } from '../lib/interop/index.ts';
import { metricIdsOf } from '../lib/metrics/registry.ts';
import { parseRunFile, serializeRunFile } from '../lib/share/run-file.ts';
import { parseSpec } from '../lib/spec/parse.ts';
import type { ExperimentSpec } from '../lib/spec/schema.ts';
import type { ImportedTaskData } from '../lib/tasks/imported/data.ts';
import { parseTaskFile } from '../lib/tasks/imported/parse.ts';
import { taskRequestTypes } from '../lib/tasks/registry.ts';
import type { TaskSpec } from '../lib/tasks/schema.ts';
import { formatRunTable } from './format-table.ts';
import { loadLadder } from './node-engine.ts';

const USAGE = `usage:
  npm run lm-eval -- export [--task add|sub|mul|add-choice | --task-file FILE] [--digits 1-5] [--n 40] [--seed 7]
                            [--choices 4] [--template qa|math-expr|arith-plain] [--kshot 0] | --spec run.json
                            [--lm-models id,id] [--allow-end-token] --out DIR
  npm run lm-eval -- import DIR [--spec run.json] [--params owner/name=count,…] --out run.json
  npm run lm-eval -- merge a.json b.json [more.json…] --out merged.json
  export writes an lm-eval task folder (YAML + JSONL per variant, README with the lm_eval command);
  the default template is "qa": the bundled ladder's "a+b=" needs an end token lm-eval cannot add.`;

/** "1-5" or "1,3,5" (as npm run eval reads --digits; eval.ts runs on import, so not imported from it). */
function parseDigits(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) return Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i);
  if (/^\d+(,\d+)*$/.test(text)) return text.split(',').map(Number);
  throw new Error(`--digits "${text}": use a range like 1-5 or a list like 1,3,5.`);
}

function intArg(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a whole number, got "${text}".`);
  return Number(text);
}

async function readSpecFile(path: string): Promise<{ spec: ExperimentSpec; taskData: ImportedTaskData | null }> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new Error(`--spec ${path}: cannot read it.`);
  });
  const data = JSON.parse(text) as { format?: string; spec?: unknown; task_data?: ImportedTaskData };
  if (data.format === 'emergence-lab/run') {
    const run = parseRunFile(text);
    return { spec: run.spec, taskData: run.task_data ?? null };
  }
  if (data.spec !== undefined) return { spec: parseSpec(data.spec), taskData: data.task_data ?? null };
  return { spec: parseSpec(data), taskData: null };
}

type Values = Record<string, string | boolean | undefined>;

async function specFromFlags(values: Values): Promise<{ spec: ExperimentSpec; taskData: ImportedTaskData | null }> {
  if (typeof values.spec === 'string') return readSpecFile(values.spec);
  const ladder = await loadLadder('arith');
  const base = defaultSpec(ladder, 'cpu');
  const common = { perVariant: intArg('n', values.n as string | undefined, base.task.perVariant), seed: intArg('seed', values.seed as string | undefined, base.task.seed), kShot: intArg('kshot', values.kshot as string | undefined, 0) };
  const digits = typeof values.digits === 'string' ? parseDigits(values.digits) : [1, 2, 3, 4, 5];
  const template = (values.template as string | undefined) ?? 'qa';
  let taskData: ImportedTaskData | null = null;
  let task: Record<string, unknown>;
  if (typeof values['task-file'] === 'string') {
    const path = values['task-file'];
    const parsed = parseTaskFile(await readFile(path, 'utf8'), basename(path));
    taskData = parsed.data;
    task = { kind: 'imported', name: parsed.data.name, format: parsed.data.format, hash: parsed.hash, ...common };
  } else if (values.task === 'add-choice') {
    task = { kind: 'add-choice', digits, ...common, choices: intArg('choices', values.choices as string | undefined, 4), template };
  } else {
    task = { kind: 'arithmetic', operation: values.task ?? 'add', digits, ...common, template };
  }
  const families = taskRequestTypes(task as TaskSpec, { taskData });
  return { spec: parseSpec({ ...base, task, metrics: [...new Set(families.flatMap((f) => [...metricIdsOf(f)]))] }), taskData };
}

async function readTree(dir: string, root = dir): Promise<LmEvalFile[]> {
  const out: LmEvalFile[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    const s = await stat(path);
    if (s.isDirectory()) out.push(...(await readTree(path, root)));
    else if (/\.(json|jsonl)$/.test(name)) out.push({ name: relative(root, path) || name, text: await readFile(path, 'utf8') });
  }
  return out;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      spec: { type: 'string' },
      task: { type: 'string' },
      'task-file': { type: 'string' },
      digits: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      choices: { type: 'string' },
      template: { type: 'string' },
      kshot: { type: 'string' },
      'lm-models': { type: 'string' },
      'allow-end-token': { type: 'boolean' },
      params: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  if (!values.out) throw new Error('--out is required.');
  if (command === 'export') {
    const { spec, taskData } = await specFromFlags(values);
    const result = exportLmEvalTask(spec, { taskData, models: values['lm-models']?.split(','), allowEndToken: values['allow-end-token'] });
    await mkdir(values.out, { recursive: true });
    for (const [name, text] of Object.entries(result.files)) await writeFile(join(values.out, name), text);
    for (const w of result.warnings) console.warn(`warning: ${w}`);
    console.log(`${result.tasks.length} task(s), ${result.tasks.reduce((n, t) => n + t.items, 0)} items written to ${values.out}: ${result.tasks.map((t) => t.task).join(', ')}`);
    console.log(`run lm_eval as ${join(values.out, 'README.md')} says, then: npm run lm-eval -- import ${join(values.out, 'results')} --out run.json`);
  } else if (command === 'import') {
    const dir = positionals[0];
    if (!dir) throw new Error('import needs the folder lm_eval wrote (--output_path).');
    const files = await readTree(dir);
    // The exported folder's spec file sits one level up from results/ when the README's command was used.
    if (!files.some((f) => basename(f.name) === SPEC_FILE)) {
      const above = await readFile(join(dir, '..', SPEC_FILE), 'utf8').catch(() => null);
      if (above !== null) files.push({ name: SPEC_FILE, text: above });
    }
    const spec = typeof values.spec === 'string' ? await readSpecFile(values.spec) : null;
    const { run, mismatches, warnings } = importLmEvalRun(files, { ...(spec ? { spec: spec.spec, taskData: spec.taskData } : {}), params: values.params ? parseParamsTable(values.params) : undefined });
    for (const w of warnings) console.warn(`warning: ${w}`);
    console.log(formatRunTable(run));
    for (const m of mismatches) console.log(`MISMATCH ${m.task}: lm-eval ${m.lmEvalMetric} = ${m.lmEval}, lab ${m.labMetric} = ${m.lab}`);
    const compared = run.models.reduce((n, m) => n + (m.provenance?.lmEval?.comparisons.length ?? 0), 0);
    console.log(`${compared - mismatches.length} of ${compared} lm-eval aggregates agree with the lab's recomputation.`);
    await writeFile(values.out, serializeRunFile(run) + '\n');
    console.log(`run written to ${values.out}`);
    if (mismatches.length > 0) process.exitCode = 1;
  } else if (command === 'merge') {
    if (positionals.length < 2) throw new Error('merge needs at least two run files.');
    const runs = await Promise.all(positionals.map(async (path) => ({ name: basename(path), run: parseRunFile(await readFile(path, 'utf8')) })));
    const merged = mergeRuns(runs);
    console.log(formatRunTable(merged));
    await writeFile(values.out, serializeRunFile(merged) + '\n');
    console.log(`${merged.models.length} models from ${runs.length} runs written to ${values.out}`);
  } else {
    throw new Error(`Unknown command "${command}": use export, import or merge.`);
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  console.error(USAGE);
  process.exit(2);
});
