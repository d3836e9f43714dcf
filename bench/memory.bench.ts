/**
 * npm run bench:memory — does the engine's memory budget hold? For random GPT-2-shaped models
 * with real vocabulary sizes (GPT-2 50,257; Qwen2.5 151,936) and a few widths, short and 8-shot
 * prompts, and a few budgets, a fresh process loads the model, scores the items, and reports its peak RSS above
 * the RSS it had with the model loaded and warmed up on one item. Each case runs with the scoring
 * head (scoring-head.ts: the engine's default in Node) and without it (logits read in JavaScript).
 * A benchmark, not a test.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const { values } = parseArgs({ options: { child: { type: 'string' }, dir: { type: 'string' }, vocab: { type: 'string' }, kshot: { type: 'string' }, budget: { type: 'string' }, head: { type: 'string' } } });
const MiB = 1024 * 1024;

if (values.child) {
  const { createTransformersEngine } = await import('../src/lib/engine/transformers-backend.ts');
  const { NODE_RUNTIME } = await import('../src/cli/node-engine.ts');
  const { generateArithmeticItems } = await import('../src/lib/tasks/arithmetic.ts');
  const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [3, 4, 5], perVariant: 32, seed: 3, kShot: Number(values.kshot), template: 'qa' });
  const engine = createTransformersEngine({ localModelPath: values.dir!, remoteHost: null, ...(values.head === 'on' ? NODE_RUNTIME : {}) });
  const model = await engine.load({ id: values.child, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });
  const budget = Number(values.budget) * MiB;
  await model.score(items.slice(0, 1), { logitsBudgetBytes: budget });
  const before = process.memoryUsage().rss;
  // The peak of the scoring alone: Linux resets the process's RSS high-water mark (VmHWM) when "5"
  // is written to /proc/self/clear_refs, so the load's own transient peak (the model's bytes read,
  // copied with the scoring head, parsed by the runtime) does not count. Elsewhere the peak since
  // start is all there is (then the load may dominate).
  let reset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    reset = true;
  } catch {
    // not Linux, or not allowed
  }
  const t0 = performance.now();
  await model.score(items, { logitsBudgetBytes: budget });
  const ms = performance.now() - t0;
  const hwm = reset ? /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8')) : null;
  const peak = hwm ? Number(hwm[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ above: (peak - before) / MiB, resetPeak: Boolean(hwm), ms, items: items.length }));
  process.exit(0);
}

const { writeRandomModel } = await import('./random-model.ts');
const dir = mkdtempSync(join(tmpdir(), 'emergence-mem-'));
try {
  console.log('| model | vocabulary | prompt | budget | scoring head | peak RSS above the loaded model | within budget | items/s |');
  console.log('|---|---|---|---|---|---|---|---|');
  type Case = readonly [kshot: number, budgetMiB: number, head: 'on' | 'off'];
  const every: Case[] = [[0, 128, 'on'], [0, 128, 'off'], [8, 128, 'on'], [8, 128, 'off'], [8, 32, 'on'], [8, 32, 'off']];
  // Wider models too: their activations (MLP, attention scores of ~240-token rows) and caches
  // weigh more beside the logits than the 2 x 64 model's.
  const wide: Case[] = [[0, 128, 'on'], [8, 128, 'on']];
  const models: { vocab: number; layers: number; embd: number; heads: number; cases: Case[] }[] = [
    { vocab: 50257, layers: 2, embd: 64, heads: 1, cases: every },
    { vocab: 151936, layers: 2, embd: 64, heads: 1, cases: every },
    { vocab: 50257, layers: 4, embd: 128, heads: 2, cases: wide },
    { vocab: 50257, layers: 2, embd: 256, heads: 4, cases: wide },
    { vocab: 50257, layers: 4, embd: 256, heads: 8, cases: wide },
  ];
  for (const { vocab, layers, embd, heads, cases } of models) {
    const shape = `${layers} x ${embd}, ${heads} head${heads > 1 ? 's' : ''}`;
    const id = `rand/v${vocab}-${layers}x${embd}x${heads}`;
    writeRandomModel(join(dir, id), { vocab, layers, embd, heads, positions: 1024 });
    for (const [kshot, budget, head] of cases) {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', id, '--dir', dir, '--vocab', String(vocab), '--kshot', String(kshot), '--budget', String(budget), '--head', head], { encoding: 'utf8' });
      const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`child failed: ${r.stderr.slice(-2000)}`);
      const m = JSON.parse(line) as { above: number; ms: number; items: number };
      console.log(`| ${shape} | ${vocab.toLocaleString('en-US')} | ${kshot === 0 ? 'zero-shot' : `${kshot}-shot`} | ${budget} MiB | ${head} | ${m.above.toFixed(0)} MiB | ${m.above <= budget ? 'yes' : '**no**'} | ${(m.items / (m.ms / 1000)).toFixed(0)} |`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
