/**
 * The cached scorer (contexts once, logits only at target positions, greedy decoding resumed
 * from the first miss) against the full-sequence reference scorer (logits of every position,
 * transformers.js generate()): same log-probs within 1e-5, identical greedy outputs, on every
 * bundled rung and on a random model with GPT-2's vocabulary, with the scoring head in the graph
 * (scoring-head.ts: the LM head only at scored positions, log-softmax and argmax in the runtime)
 * and without it (logits read in JavaScript); and an out-of-memory error shrinks the batch
 * without changing results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeRandomModel } from '../../bench/random-model.ts';
import { ladderModelId, modelsByScale } from '../../src/lib/catalog/ladder.ts';
import type { ModelBackend } from '../../src/lib/engine/backend.ts';
import { batchBytes, callBytes, heldCacheBytes } from '../../src/lib/engine/batching.ts';
import { CancelledError, NumericError } from '../../src/lib/engine/errors.ts';
import { scoreChoiceItems } from '../../src/lib/engine/choices.ts';
import { scoreItemsFullSequence } from '../../src/lib/engine/reference.ts';
import { memoryModelOf, scoreItems } from '../../src/lib/engine/scoring.ts';
import { encodePair } from '../../src/lib/engine/tokenize.ts';
import { HEAD_INPUT_LOGITS_FROM, HEAD_OUTPUT_LOGPROB } from '../../src/lib/engine/scoring-head.ts';
import { withScoringHead } from '../../src/lib/engine/head-session.ts';
import { configureTransformers, TransformersBackend } from '../../src/lib/engine/transformers-backend.ts';
import type { RawItemResult } from '../../src/lib/engine/types.ts';
import { generateArithmeticItems } from '../../src/lib/tasks/arithmetic.ts';
import type { GenerationItem } from '../../src/lib/tasks/types.ts';
import { loadLadder, MODELS_DIR, NODE_RUNTIME } from '../../src/cli/node-engine.ts';

const ladder = await loadLadder('arith');
const items = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2, 3, 4, 5], perVariant: 10, seed: 21, kShot: 0, template: 'arith-plain' });
// Long prompts (3-shot, natural language) for the random model's byte-level vocabulary.
const kshot = generateArithmeticItems({ kind: 'arithmetic', operation: 'add', digits: [1, 2], perVariant: 5, seed: 4, kShot: 3, template: 'qa' });
// Without the end token the shortcut needs the argmax after the target, and decoding can run past it.
const noEnd: GenerationItem[] = items.slice(0, 25).map((i) => ({ ...i, id: `${i.id}-noeos`, endToken: false }));

async function openBackend(modelsDir: string, id: string, head: boolean): Promise<TransformersBackend> {
  configureTransformers({ localModelPath: modelsDir, remoteHost: null });
  const tokenizer = await AutoTokenizer.from_pretrained(id, { local_files_only: true });
  const load = () => AutoModelForCausalLM.from_pretrained(id, { local_files_only: true, device: 'cpu', dtype: 'fp32' });
  const model = head ? await withScoringHead(NODE_RUNTIME.ort!, NODE_RUNTIME.readModelFile, load) : await load();
  const backend = new TransformersBackend(model, tokenizer);
  expect(backend.projectsScoredOnly).toBe(head);
  return backend;
}

function expectSame(a: RawItemResult[], b: RawItemResult[]) {
  expect(a.map((r) => r.itemId)).toEqual(b.map((r) => r.itemId));
  let maxDiff = 0;
  a.forEach((r, i) => {
    expect(r.targetTokenIds).toEqual(b[i].targetTokenIds);
    expect(r.targetIsArgmax, r.itemId).toEqual(b[i].targetIsArgmax);
    expect(r.outputTokenIds, r.itemId).toEqual(b[i].outputTokenIds);
    expect(r.outputText).toBe(b[i].outputText);
    expect(r.generated).toBe(b[i].generated);
    r.targetLogprobs.forEach((lp, j) => (maxDiff = Math.max(maxDiff, Math.abs(lp - b[i].targetLogprobs[j]))));
  });
  expect(maxDiff).toBeLessThan(1e-5);
}

/** A backend whose forward steps fail like ONNX Runtime out of memory whenever a call is bigger than `maxRows`. */
function oomAbove(backend: ModelBackend, maxRows: number, seen: number[]): ModelBackend {
  return Object.assign(Object.create(backend) as ModelBackend, {
    step: (input: Parameters<ModelBackend['step']>[0]) => {
      seen.push(input.rows);
      if (input.rows > maxRows) {
        return Promise.reject(new Error("Non-zero status code returned while running MatMul node. Name:'/lm_head/MatMul' Status Message: Failed to allocate memory for requested buffer of size 805306368"));
      }
      return backend.step(input);
    },
  });
}

const withAndWithoutHead = (ids: string[]) => ids.flatMap((id) => [[id, 'with the scoring head', true] as const, [id, 'reading logits', false] as const]);

describe.each(withAndWithoutHead(modelsByScale(ladder).map((m) => ladderModelId(ladder, m))))('cached scoring on %s, %s', (modelId, _label, head) => {
  let backend: TransformersBackend;
  beforeAll(async () => {
    backend = await openBackend(MODELS_DIR, modelId, head);
  });
  afterAll(() => backend?.dispose());

  it('equals full-sequence scoring (log-probs 1e-5, identical greedy outputs), fused, split and one column per call', async () => {
    const all = [...items, ...noEnd];
    const reference = await scoreItemsFullSequence(backend, all, { maxBatchSize: 16 });
    expectSame(await scoreItems(backend, all, { maxBatchSize: 16 }), reference);
    // A budget too small for a whole row: every row is split into one-column calls.
    expectSame(await scoreItems(backend, all, { logitsBudgetBytes: 1 }), reference);
  });
});

describe('greedy decoding for several batches at once', () => {
  let backend: TransformersBackend;
  const all = [...items, ...noEnd];
  let reference: RawItemResult[];
  beforeAll(async () => {
    // A rung that gets a few of these items wrong (9 of 75): a batch leaves a row or two to decode.
    backend = await openBackend(MODELS_DIR, ladderModelId(ladder, modelsByScale(ladder)[7]), true);
    reference = await scoreItemsFullSequence(backend, all, { maxBatchSize: 16 });
  });
  afterAll(() => backend?.dispose());

  /** The backend with every step's rows recorded, split into teacher-forced and decoding calls. */
  function recording(inner: ModelBackend, overrides: Partial<ModelBackend> = {}) {
    const calls = { forced: [] as number[], decoding: [] as number[] };
    const spy = Object.assign(Object.create(inner) as ModelBackend, {
      step: (input: Parameters<ModelBackend['step']>[0]) => {
        (input.past === null ? calls.forced : calls.decoding).push(input.rows);
        return inner.step(input);
      },
      ...overrides,
    });
    return { spy, calls };
  }

  it('joins the rows of several batches into each decoding call, within the row cap, with the same results', async () => {
    expect(reference.filter((r) => r.generated).length).toBeGreaterThan(5);
    const joined = recording(backend);
    const pooled = await scoreItems(joined.spy, all, { maxBatchSize: 16 });
    expectSame(pooled, reference);
    // Caches that cannot be joined (as on the GPU): each batch decodes alone, as before.
    const alone = recording(backend, { joinCaches: undefined });
    expect(await scoreItems(alone.spy, all, { maxBatchSize: 16 })).toEqual(pooled);
    expect(Math.max(...joined.calls.forced, ...joined.calls.decoding)).toBeLessThanOrEqual(16);
    expect(joined.calls.forced).toEqual(alone.calls.forced);
    // Rows of several batches in one decoding call: fewer calls, wider ones.
    expect(joined.calls.decoding.length).toBeLessThan(alone.calls.decoding.length);
    expect(Math.max(...joined.calls.decoding)).toBeGreaterThan(Math.max(...alone.calls.decoding));
  });

  it('reports every item once, complete, and decodes in halves after an out-of-memory error', async () => {
    const reported: RawItemResult[] = [];
    let progress = 0;
    const seen: number[] = [];
    // Decoding calls of more than one row fail (teacher forcing does not): the rows joined from
    // several batches are decoded in halves, down to one at a time.
    const decodingOom = Object.assign(Object.create(backend) as ModelBackend, {
      step: (input: Parameters<ModelBackend['step']>[0]) => {
        if (input.past !== null) seen.push(input.rows);
        if (input.past !== null && input.rows > 1) return Promise.reject(new Error('Failed to allocate memory for requested buffer of size 805306368'));
        return backend.step(input);
      },
    });
    const results = await scoreItems(decodingOom, all, { maxBatchSize: 16, onBatch: (b) => void reported.push(...b), onProgress: (p) => (progress = p.itemsDone) });
    expectSame(results, reference);
    expect(Math.max(...seen)).toBeGreaterThan(1);
    expect(seen.filter((rows) => rows === 1).length).toBeGreaterThanOrEqual(reference.filter((r) => r.generated).length);
    expect(reported.map((r) => r.itemId).sort()).toEqual(all.map((i) => i.id).sort());
    expect(progress).toBe(all.length);
    // An item is reported once its output is known: with the output it ends with.
    for (const r of reported) expect(r.outputTokenIds).toEqual(results.find((x) => x.itemId === r.itemId)!.outputTokenIds);
  });

  it('finishes the items waiting for decoding when cancelled between batches', async () => {
    const controller = new AbortController();
    const reported: RawItemResult[] = [];
    // The first batch (the longest items) leaves rows to decode; they wait in the pool when the
    // batch's other items are reported, and the cancel comes then.
    const run = scoreItems(backend, all, {
      maxBatchSize: 16,
      signal: controller.signal,
      onBatch: (b) => {
        reported.push(...b);
        controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(reported.length).toBeLessThan(all.length);
    expect(reported.some((r) => r.generated)).toBe(true);
    const byId = new Map(reference.map((r) => [r.itemId, r]));
    for (const r of reported) expect(r.outputTokenIds, r.itemId).toEqual(byId.get(r.itemId)!.outputTokenIds);
  });
});

describe('teacher-forced calls', () => {
  let backend: TransformersBackend;
  beforeAll(async () => {
    backend = await openBackend(MODELS_DIR, ladderModelId(ladder, modelsByScale(ladder)[0]), true);
  });
  afterAll(() => backend?.dispose());

  /** Rows x columns of each call that starts without a cache (the teacher-forced pass of a batch). */
  async function firstCalls(batch: GenerationItem[]): Promise<{ rows: number; columns: number }[]> {
    const calls: { rows: number; columns: number }[] = [];
    const spy = Object.assign(Object.create(backend) as ModelBackend, {
      step: (input: Parameters<ModelBackend['step']>[0]) => {
        if (input.past === null) calls.push({ rows: input.rows, columns: input.columns });
        return backend.step(input);
      },
    });
    await scoreItems(spy, batch, { maxBatchSize: batch.length });
    return calls;
  }

  it('do not run a target\'s end token (nothing is scored after it), and do run the last token of a target without one', async () => {
    const batch = items.filter((i) => i.endToken).slice(0, 8);
    expect(batch).toHaveLength(8);
    const longest = Math.max(...batch.map((i) => encodePair((t) => backend.encode(t), i.prompt, i.target)).map((p) => p.contextIds.length + p.continuationIds.length));
    // Context, target and end token, less the end token itself (it ran before: longest + 1).
    expect(await firstCalls(batch)).toEqual([{ rows: 8, columns: longest }]);
    // Without an end token the argmax after the target is needed (greedy's next token): its last token runs.
    expect(await firstCalls(batch.map((i) => ({ ...i, endToken: false })))).toEqual([{ rows: 8, columns: longest }]);
  });
});

describe.each([['with the scoring head', true] as const, ['reading logits', false] as const])('cached scoring on a random model with GPT-2 vocabulary (50,257), %s', (_label, head) => {
  const dir = mkdtempSync(join(tmpdir(), 'emergence-rand-'));
  let backend: TransformersBackend;
  beforeAll(async () => {
    writeRandomModel(join(dir, 'rand', 'gpt2-vocab'), { vocab: 50257, layers: 2, embd: 64, heads: 4, positions: 256 });
    backend = await openBackend(dir, 'rand/gpt2-vocab', head);
  }, 60_000);
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('equals full-sequence scoring, with the default budget and with one that forces split calls', async () => {
    const some = [...items.slice(0, 20), ...noEnd.slice(0, 6), ...kshot.slice(0, 4)];
    const reference = await scoreItemsFullSequence(backend, some, { maxBatchSize: 8 });
    // Random weights: generation runs for every item, from the first missed token on.
    expect(reference.every((r) => r.generated)).toBe(true);
    expectSame(await scoreItems(backend, some, { maxBatchSize: 8 }), reference);
    const memory = { vocab: 50257, kvBytesPerToken: backend.kvBytesPerToken, budgetBytes: 0, maxRows: 8 };
    // Room for 2 rows x 3 columns (the planner fills half of so small a budget: plannedBudget):
    // contexts and targets are split over several calls.
    const budget = 2 * callBytes(2, 3, 40, memory);
    expectSame(await scoreItems(backend, some, { maxBatchSize: 8, logitsBudgetBytes: budget }), reference);
  }, 60_000);

  it('decoding calls stay within the planned budget: drafts are cut to fit, results unchanged', async () => {
    const some = [...items.slice(0, 16), ...noEnd.slice(0, 8)];
    const reference = await scoreItems(backend, some, { maxBatchSize: 8 });
    const calls: { rows: number; columns: number; past: number; scored: number }[] = [];
    const recording: ModelBackend = Object.assign(Object.create(backend) as ModelBackend, {
      step: (input: Parameters<ModelBackend['step']>[0]) => {
        calls.push({ rows: input.rows, columns: input.columns, past: input.past?.length ?? 0, scored: input.positions.length });
        return backend.step(input);
      },
    });
    // Planned: 8 rows x 1 column of logits; drafts (the teacher-forced argmaxes) run 2 columns here.
    const options = { maxBatchSize: 8, logitsBudgetBytes: 2 * callBytes(8, 1, 60, { vocab: 50257, kvBytesPerToken: backend.kvBytesPerToken, budgetBytes: 0, maxRows: 8 }) };
    expectSame(await scoreItems(recording, some, options), reference);
    const m = memoryModelOf(backend, options);
    const decoding = calls.filter((c) => c.past > 0 && c.scored === c.rows * c.columns);
    expect(decoding.length).toBeGreaterThan(0);
    for (const c of decoding) if (c.columns > 1) expect(callBytes(c.rows, c.columns, c.past + c.columns, m)).toBeLessThanOrEqual(m.budgetBytes);
    // Without a budget in the way some decoding call runs drafts (more than one column).
    calls.length = 0;
    await scoreItems(recording, some, { maxBatchSize: 8 });
    expect(calls.some((c) => c.past > 0 && c.columns > 1)).toBe(true);
  }, 60_000);

  it('rows waiting to decode and the next batch fit the budget together: the pool decodes first where they would not', async () => {
    // Same-length items, so every teacher-forced call is a whole batch of equal rows.
    const some = items.filter((i) => i.variant === 'add/3d');
    const reference = await scoreItems(backend, some, { maxBatchSize: 16 });
    const calls: { rows: number; columns: number; past: number }[] = [];
    // The cache counted as 1 MiB a token (this model's is 1 KiB), so that waiting rows weigh
    // like a large model's: a batch of ~3 rows then fills the budget, and 3 waiting rows beside
    // the next batch would pass it.
    const recording: ModelBackend = Object.assign(Object.create(backend) as ModelBackend, {
      kvBytesPerToken: 1 << 20,
      step: async (input: Parameters<ModelBackend['step']>[0]) => {
        calls.push({ rows: input.rows, columns: input.columns, past: input.past?.length ?? 0 });
        const out = await backend.step(input);
        // onnxruntime-node's caches are JavaScript memory: disposed, they stay until collected.
        expect(out.cache.freedOnDispose).toBe(false);
        return out;
      },
    });
    const options = { maxBatchSize: 16, logitsBudgetBytes: 96 * 2 ** 20 };
    expectSame(await scoreItems(recording, some, options), reference);
    const m = memoryModelOf(recording, options);
    const scoredColumns = 1 + Math.max(...some.map((i) => i.target.length));
    // Random weights: every row waits to decode after its teacher-forced call, until a decoding call.
    let waiting = { rows: 0, length: 0 };
    const kinds: string[] = [];
    for (const c of calls) {
      if (c.past === 0) {
        expect(batchBytes(c.rows, scoredColumns, c.columns, m) + heldCacheBytes(waiting.rows, waiting.length, m)).toBeLessThanOrEqual(m.budgetBytes);
        waiting = { rows: waiting.rows + c.rows, length: Math.max(waiting.length, c.columns) };
        kinds.push('F');
      } else {
        waiting = { rows: 0, length: 0 };
        if (kinds.at(-1) !== 'D') kinds.push('D');
      }
    }
    // Several batches, each decoded before the next runs.
    expect(kinds.length).toBeGreaterThanOrEqual(6);
    expect(kinds.join('')).toBe('FD'.repeat(kinds.length / 2));
  }, 60_000);

  /** A backend whose runtime fails every run that `fails` picks, as a provider without a kernel would. */
  async function failing(fails: (feeds: Record<string, { data: ArrayLike<bigint> }>, fetches: unknown) => boolean, message: string): Promise<TransformersBackend> {
    const fresh = await openBackend(dir, 'rand/gpt2-vocab', true);
    const sessions = (fresh as unknown as { model: { sessions: Record<string, { run: (feeds: unknown, fetches?: unknown) => Promise<unknown> }> } }).model.sessions;
    sessions.model = new Proxy(sessions.model, {
      get(target, prop) {
        if (prop === 'run') return (feeds: Record<string, { data: ArrayLike<bigint> }>, fetches?: unknown) => (fails(feeds, fetches) ? Promise.reject(new Error(message)) : target.run(feeds, fetches));
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return fresh;
  }

  // Only where there is a head to fail (defined, not skipped, for the other variant).
  if (head) it('a runtime that fails the head\'s nodes, or the model\'s LM head on no column, falls back with one warning and the same results', async () => {
    const some = items.slice(0, 10);
    const reference = await scoreItems(backend, some, { maxBatchSize: 4 });
    const choices = [{ itemId: 'c', prompt: 'Question: what is 12 plus 34? Answer:', choices: [' 46', ' 47', ' 146'] }];
    const referenceChoices = await scoreChoiceItems(backend, choices);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      // A step through the head fails.
      const noKernel = await failing((_feeds, fetches) => Array.isArray(fetches) && fetches.includes(HEAD_OUTPUT_LOGPROB), 'no kernel for ArgMax(13) on this provider');
      expectSame(await scoreItems(noKernel, some, { maxBatchSize: 4 }), reference);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/scoring head failed \(no kernel for ArgMax\(13\) on this provider\); reading the model's logits instead/);
      expect(noKernel.projectsScoredOnly).toBe(false);
      await noKernel.dispose();
      // Any run with the model's LM head on no column fails (the choices' prompt prefill comes first).
      warn.mockClear();
      const noEmpty = await failing((feeds) => Number(feeds[HEAD_INPUT_LOGITS_FROM].data[0]) > 0, 'MatMulNBits: empty input');
      const got = await scoreChoiceItems(noEmpty, choices);
      got[0].choiceLogprobs.forEach((lp, c) => expect(Math.abs(lp - referenceChoices[0].choiceLogprobs[c])).toBeLessThan(1e-5));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/scoring head in the graph failed \(MatMulNBits: empty input\); running the model as exported instead/);
      await noEmpty.dispose();
    } finally {
      warn.mockRestore();
    }
  }, 60_000);

  // A failure that is not the head's (the model fails the step without it too) must not turn it off.
  if (head) it('a step that fails with and without the head throws that error, with no warning, and keeps the head', async () => {
    const some = items.slice(0, 6);
    const reference = await scoreItems(backend, some, { maxBatchSize: 6 });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      let failures = 2; // the step through the head, then the same step without it
      const flaky = await failing(() => failures-- > 0, 'indices element out of data bounds');
      await expect(scoreItems(flaky, some, { maxBatchSize: 6 })).rejects.toThrow(/indices element out of data bounds/);
      expect(failures).toBe(0);
      expect(warn).not.toHaveBeenCalled();
      expect(flaky.projectsScoredOnly).toBe(true);
      // The next run goes through the head and equals the reference.
      expectSame(await scoreItems(flaky, some, { maxBatchSize: 6 }), reference);
      expect(flaky.projectsScoredOnly).toBe(true);
      await flaky.dispose();
    } finally {
      warn.mockRestore();
    }
  }, 60_000);

  it('a NaN from the runtime is a NumericError, for generation and choice items', async () => {
    const broken: ModelBackend = Object.assign(Object.create(backend) as ModelBackend, {
      step: async (input: Parameters<ModelBackend['step']>[0]) => {
        const out = await backend.step(input);
        out.logprobs.fill(Number.NaN);
        return out;
      },
    });
    await expect(scoreItems(broken, items.slice(0, 3))).rejects.toBeInstanceOf(NumericError);
    await expect(scoreChoiceItems(broken, [{ itemId: 'n', prompt: '1+2=', choices: ['3', '4'] }])).rejects.toBeInstanceOf(NumericError);
  });

  it('an out-of-memory error shrinks the batch and the results are identical', async () => {
    const some = items.slice(0, 12);
    const reference = await scoreItems(backend, some, { maxBatchSize: 12 });
    const seen: number[] = [];
    const shrunk = await scoreItems(oomAbove(backend, 3, seen), some, { maxBatchSize: 12 });
    expectSame(shrunk, reference);
    // The first call (12 rows) failed, the run halved its batches (6 failed too) and went on with 3.
    expect(seen.slice(0, 2)).toEqual([12, 6]);
    expect(seen.slice(2).every((r) => r <= 3)).toBe(true);
    const choices = [{ itemId: 'c', prompt: '12+34=', choices: ['46', '47', '146', '4'] }];
    const big = await scoreChoiceItems(backend, choices);
    const small = await scoreChoiceItems(oomAbove(backend, 1, []), choices);
    small[0].choiceLogprobs.forEach((lp, c) => expect(Math.abs(lp - big[0].choiceLogprobs[c])).toBeLessThan(1e-5));
  }, 60_000);
});

describe('the scoring head is checked against the model\'s logits when a model loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'emergence-probe-'));
  const shape = { vocab: 300, layers: 1, embd: 16, heads: 2, positions: 64 };
  beforeAll(() => {
    writeRandomModel(join(dir, 'rand', 'plain'), shape);
    writeRandomModel(join(dir, 'rand', 'mixed'), { ...shape, mixPositions: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a head that agrees is kept, silently', async () => {
    const backend = await openBackend(dir, 'rand/plain', true);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await backend.checkScoringHead();
      expect(warn).not.toHaveBeenCalled();
      expect(backend.projectsScoredOnly).toBe(true);
    } finally {
      warn.mockRestore();
      await backend.dispose();
    }
  });

  it('a graph the head\'s copy gets wrong (positions mixed among its last ops): the head is given up with one warning and scores equal reading logits', async () => {
    const backend = await openBackend(dir, 'rand/mixed', true);
    const logitsOnly = await openBackend(dir, 'rand/mixed', false);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      await backend.checkScoringHead();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/scoring head was given up: on a probe it failed .*; scoring reads the model's logits instead/);
      expect(backend.projectsScoredOnly).toBe(false);
      const some = items.slice(0, 8);
      expectSame(await scoreItems(backend, some, { maxBatchSize: 4 }), await scoreItems(logitsOnly, some, { maxBatchSize: 4 }));
    } finally {
      warn.mockRestore();
      await backend.dispose();
      await logitsOnly.dispose();
    }
  });
});
