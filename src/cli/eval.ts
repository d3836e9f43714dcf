/**
 * npm run eval -- --ladder arith --task add --digits 1-5 --n 40 --seed 7 --out run.json
 * Runs a ladder on the CPU, prints a model x metric table with 95% intervals, writes the
 * results file (the same format the lab exports).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultSpec, ladderModelId } from '../lib/catalog/ladder.ts';
import { runExperiment } from '../lib/run/runner.ts';
import { parseSpec } from '../lib/spec/parse.ts';
import { createNodeEngine, loadLadder, nodeEnvironment } from './node-engine.ts';
import { formatRunTable } from './format-table.ts';
import { paramsOfBundled } from '../lib/catalog/ladder.ts';

const USAGE = `usage: npm run eval -- [--ladder arith] [--task add|sub|mul] [--digits 1-5 | 1,3,5] [--n 40] [--seed 7]
                    [--template arith-plain|qa|math-expr] [--kshot 0] [--models id,id] [--batch 32] [--memory-budget-mb 128] [--out run.json]`;

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
  if (batch !== undefined) options.maxBatchSize = intArg('batch', batch, 32);
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
      digits: { type: 'string' },
      n: { type: 'string' },
      seed: { type: 'string' },
      template: { type: 'string' },
      kshot: { type: 'string' },
      models: { type: 'string' },
      batch: { type: 'string' },
      'memory-budget-mb': { type: 'string' },
      out: { type: 'string' },
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
  const spec = parseSpec({
    ...base,
    task: {
      ...base.task,
      operation: values.task,
      digits: values.digits ? parseDigits(values.digits) : base.task.digits,
      perVariant: intArg('n', values.n, base.task.perVariant),
      seed: intArg('seed', values.seed, base.task.seed),
      kShot: intArg('kshot', values.kshot, base.task.kShot),
      template: values.template ?? base.task.template,
    },
    models: modelIds ? base.models.filter((m) => modelIds.includes(m.id)) : base.models,
  });
  const engine = createNodeEngine();
  const t0 = Date.now();
  const result = await runExperiment(spec, engine, {
    env: nodeEnvironment(),
    paramsOf: (ref) => paramsOfBundled(ladder, ref.id),
    score: scoreOptions(values.batch, values['memory-budget-mb']),
    onEvent: (e) => {
      if (e.type === 'model-done') {
        const m = e.model;
        process.stderr.write(`${m.id}: ${m.status}${m.error ? ` (${m.error})` : ''}, ${m.items.length} items, load ${m.loadMs} ms, score ${m.scoreMs} ms\n`);
      }
    },
  });
  console.log(formatRunTable(result));
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
