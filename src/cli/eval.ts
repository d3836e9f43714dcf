/**
 * npm run eval -- --ladder arith --task add --digits 1-5 --n 40 --seed 7 --out run.json
 * Runs a ladder on the CPU, prints a model x metric table with 95% intervals, writes the
 * results file (the same format the lab exports).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultSpec, ladderModelId, ladderSelectionProblem, modelsByScale } from '../lib/catalog/ladder.ts';
import { runExperiment } from '../lib/run/runner.ts';
import { parseSpec } from '../lib/spec/parse.ts';
import { createNodeEngine, loadLadder, nodeEnvironment } from './node-engine.ts';
import { formatRunTable } from './format-table.ts';
import { ladderPositionOf, paramsOfBundled, type LadderManifest } from '../lib/catalog/ladder.ts';
import { metricIdsOf } from '../lib/metrics/registry.ts';
import type { ImportedTaskData } from '../lib/tasks/imported/data.ts';
import { parseTaskFile } from '../lib/tasks/imported/parse.ts';
import { taskRequestTypes } from '../lib/tasks/registry.ts';
import type { TaskSpec } from '../lib/tasks/schema.ts';
import { DEFAULT_MAX_BATCH } from '../lib/engine/types.ts';

function defaultDigits(ladder: LadderManifest): number[] {
  const [lo, hi] = ladder.digits;
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

const USAGE = `usage: npm run eval -- [--ladder arith] [--task add|sub|mul|add-choice | --task-file task.json|task.jsonl]
                    [--digits 1-5 | 1,3,5] [--n 40] [--seed 7] [--choices 4] [--template arith-plain|qa|math-expr]
                    [--kshot 0] [--models id,id] [--batch 32] [--memory-budget-mb 128] [--out run.json] [--cutoff 2]
  --cutoff K          "was the jump predictable?": fit on models 0..K (default: the one before the largest exact-match step)
  --task add-choice   addition as multiple choice (the true sum among --choices typical wrong sums)
  --task-file PATH    a BIG-bench JSON task or a JSONL file of {input, target} / {input, target_scores};
                      --n is examples per variant, k-shot examples come from the file (seeded)`;

export function parseDigits(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) {
    const [lo, hi] = [Number(range[1]), Number(range[2])];
    if (lo > hi) throw new Error(`--digits ${text}: the range is empty.`);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  if (/^\d+(,\d+)*$/.test(text)) return text.split(',').map(Number);
  throw new Error(`--digits "${text}": use a range like 1-5 or a list like 1,3,5.`);
}

function intArg(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text)) throw new Error(`--${name} must be a whole number, got "${text}".`);
  return Number(text);
}

/** --batch and --memory-budget-mb as engine options (the budget bounds logits and key/value cache per forward). */
function scoreOptions(batch: string | undefined, budgetMb: string | undefined): { maxBatchSize?: number; logitsBudgetBytes?: number } | undefined {
  const options: { maxBatchSize?: number; logitsBudgetBytes?: number } = {};
  if (batch !== undefined) options.maxBatchSize = intArg('batch', batch, DEFAULT_MAX_BATCH);
  if (budgetMb !== undefined) {
    const mb = intArg('memory-budget-mb', budgetMb, 128);
    if (mb < 1) throw new Error(`--memory-budget-mb must be at least 1, got ${mb}.`);
    options.logitsBudgetBytes = mb * 1024 * 1024;
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

async function main() {
  const { values } = parseArgs({
    options: {
      ladder: { type: 'string', default: 'arith' },
      task: { type: 'string', default: 'add' },
      'task-file': { type: 'string' },
      choices: { type: 'string' },
      digits: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      template: { type: 'string' },
      kshot: { type: 'string' },
      models: { type: 'string' },
      batch: { type: 'string' },
      'memory-budget-mb': { type: 'string' },
      out: { type: 'string' },
      cutoff: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const ladder = await loadLadder(values.ladder!);
  const base = defaultSpec(ladder, 'cpu');
  const modelIds = values.models?.split(',').map((m) => (m.includes('/') ? m : `${ladder.id}/${m}`));
  const known = ladder.models.map((m) => ladderModelId(ladder, m));
  for (const id of modelIds ?? []) if (!known.includes(id)) throw new Error(`Unknown model "${id}". Ladder ${ladder.id} has: ${known.join(', ')}.`);
  const mixed = modelIds ? ladderSelectionProblem(ladder, modelIds) : null;
  if (mixed) throw new Error(mixed);
  const common = {
    perVariant: intArg('n', values.n, base.task.perVariant),
    seed: intArg('seed', values.seed, base.task.seed),
    kShot: intArg('kshot', values.kshot, base.task.kShot),
  };
  const digits = values.digits ? parseDigits(values.digits) : defaultDigits(ladder);
  const template = values.template ?? 'arith-plain';
  let taskData: ImportedTaskData | null = null;
  let task: Record<string, unknown>;
  if (values['task-file']) {
    const path = values['task-file'];
    const text = await readFile(path, 'utf8').catch((e: unknown) => {
      throw new Error(`--task-file ${path}: cannot read it (${e instanceof Error ? e.message : String(e)}).`);
    });
    const parsed = parseTaskFile(text, basename(path));
    taskData = parsed.data;
    task = { kind: 'imported', name: parsed.data.name, format: parsed.data.format, hash: parsed.hash, ...common };
  } else if (values.task === 'add-choice') {
    task = { kind: 'add-choice', digits, ...common, choices: intArg('choices', values.choices, 4), template };
  } else {
    task = { kind: 'arithmetic', operation: values.task, digits, ...common, template };
  }
  const families = taskData ? taskRequestTypes(task as TaskSpec, { taskData }) : task.kind === 'add-choice' ? (['choice'] as const) : (['generation'] as const);
  const spec = parseSpec({
    ...base,
    task,
    metrics: families.flatMap((f) => [...metricIdsOf(f)]),
    // Any model of the ladder can be named, not only the default experiment's, in ladder order.
    models: modelIds
      ? modelsByScale(ladder)
          .filter((m) => modelIds.includes(ladderModelId(ladder, m)))
          .map((m) => ({ ...base.models[0], id: ladderModelId(ladder, m) }))
      : base.models,
  });
  const engine = createNodeEngine();
  const t0 = Date.now();
  const result = await runExperiment(spec, engine, {
    env: nodeEnvironment(),
    paramsOf: (ref) => paramsOfBundled(ladder, ref.id),
    scaleOf: (ref) => ladderPositionOf(ladder, ref.id),
    score: scoreOptions(values.batch, values['memory-budget-mb']),
    taskData,
    onEvent: (e) => {
      if (e.type === 'model-done') {
        const m = e.model;
        process.stderr.write(`${m.id}: ${m.status}${m.error ? ` (${m.error})` : ''}, ${m.items.length} items, load ${m.loadMs} ms, score ${m.scoreMs} ms\n`);
      }
    },
  });
  console.log(formatRunTable(result, values.cutoff === undefined ? {} : { cutoff: intArg('cutoff', values.cutoff, 1) }));
  console.log(`\n${result.models.length} models x ${result.models[0]?.items.length ?? 0} items in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (values.out) {
    await writeFile(values.out, JSON.stringify(result, null, 1) + '\n');
    console.log(`results written to ${values.out}`);
  }
  if (result.models.some((m) => m.status !== 'done')) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  console.error(USAGE);
  process.exit(2);
});
