/**
 * npm run bench [-- --model arith-l4-d128 --n 20 --reps 3]
 * The engine (batched teacher forcing + generation only where needed) against a baseline
 * written the way transformers.js's docs suggest: a text-generation pipeline call per item for
 * the output, plus one forward per item for the target log-probs. Same model, same items.
 * Prints items/s for both and their ratio. A benchmark, not a test: numbers vary by machine.
 */
import { parseArgs } from 'node:util';
import { AutoTokenizer, pipeline, Tensor } from '@huggingface/transformers';
import { ladderModelId, modelsByScale } from '../src/lib/catalog/ladder.ts';
import { createNodeEngine, loadLadder } from '../src/cli/node-engine.ts';
import { generateArithmeticItems } from '../src/lib/tasks/arithmetic.ts';
import type { GenerationItem } from '../src/lib/tasks/types.ts';

const { values } = parseArgs({ options: { model: { type: 'string' }, n: { type: 'string', default: '20' }, reps: { type: 'string', default: '3' }, batch: { type: 'string', default: '32' } } });
const ladder = await loadLadder('arith');
const target = values.model ? ladder.models.find((m) => m.id === values.model) : modelsByScale(ladder).at(-1);
if (!target) throw new Error(`unknown model ${values.model}`);
const modelId = ladderModelId(ladder, target);
const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4, 5], perVariant: Number(values.n), seed: 7, kShot: 0, template: 'arith-plain' });
const reps = Number(values.reps);

const engine = createNodeEngine();
const model = await engine.load({ id: modelId, source: 'bundled', revision: null, dtype: 'fp32', device: 'cpu' });

type Generator = (text: string, opts: Record<string, unknown>) => Promise<{ generated_text: string }[]>;
const generator = (await pipeline('text-generation', modelId, { device: 'cpu', dtype: 'fp32', local_files_only: true })) as unknown as Generator & { model: (x: Record<string, Tensor>) => Promise<{ logits: Tensor }> };
const tokenizer = await AutoTokenizer.from_pretrained(modelId, { local_files_only: true });

async function baseline(list: GenerationItem[]): Promise<{ outputs: string[]; logprobSum: number }> {
  const outputs: string[] = [];
  let logprobSum = 0;
  for (const item of list) {
    const targetLen = tokenizer.encode(item.target, { add_special_tokens: false }).length + 1;
    const [out] = await generator(item.prompt, { max_new_tokens: targetLen + 4, do_sample: false, return_full_text: false });
    outputs.push(out.generated_text);
    const promptIds = tokenizer.encode(item.prompt, { add_special_tokens: false });
    const ids = [...tokenizer.encode(item.prompt + item.target, { add_special_tokens: false }), tokenizer.eos_token_id!];
    const input_ids = new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
    const attention_mask = new Tensor('int64', BigInt64Array.from(ids, () => 1n), [1, ids.length]);
    const { logits } = await generator.model({ input_ids, attention_mask });
    const [, , vocab] = logits.dims;
    const data = logits.data as Float32Array;
    for (let pos = promptIds.length - 1; pos < ids.length - 1; pos++) {
      const row = data.subarray(pos * vocab, (pos + 1) * vocab);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
      logprobSum += row[ids[pos + 1]] - lse;
    }
  }
  return { outputs, logprobSum };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm-up
  const runs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)]; // median
}

const engineResults = await model.score(items, { maxBatchSize: Number(values.batch) });
const base = await baseline(items);
const agree = engineResults.filter((r, i) => r.outputText === base.outputs[i].replace(/\n.*$/s, '')).length;
const engineSum = engineResults.reduce((s, r) => s + r.targetLogprobs.reduce((a, b) => a + b, 0), 0);

const engineMs = await time(() => model.score(items, { maxBatchSize: Number(values.batch) }));
const baselineMs = await time(() => baseline(items));
const generated = engineResults.filter((r) => r.generated).length;
console.log(`model ${modelId} (${target.params.toLocaleString('en-US')} params), ${items.length} items (add, 1-5 digits), median of ${reps}`);
console.log(`outputs agreeing with the baseline: ${agree}/${items.length}; summed log-prob engine ${engineSum.toFixed(4)} vs baseline ${base.logprobSum.toFixed(4)}`);
console.log(`engine:   ${(items.length / (engineMs / 1000)).toFixed(1)} items/s (${engineMs.toFixed(0)} ms; generation ran for ${generated}/${items.length} items)`);
console.log(`baseline: ${(items.length / (baselineMs / 1000)).toFixed(1)} items/s (${baselineMs.toFixed(0)} ms)`);
console.log(`ratio engine/baseline: ${(baselineMs / engineMs).toFixed(1)}x`);
await model.dispose();
