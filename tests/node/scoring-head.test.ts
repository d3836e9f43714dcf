/**
 * The scoring head (src/lib/engine/scoring-head.ts) run by ONNX Runtime: the appended nodes give,
 * at the picked positions, the log-prob and argmax that logSoftmaxAt (float64, first index on
 * ties) gives from the model's own logits, for a plain MatMul head and for a head with a bias,
 * soft-capping and float16 logits (its attributes copied byte for byte), with ONNX's LogSoftmax
 * and with the log-softmax written out for WebGPU (opsets 17 and 18: reduction axes move from
 * attribute to input); the model's own logits
 * cover no column unless asked for, and then are the original's; and a runtime that refuses the
 * patched graph gets the model as it is.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import { argmaxCheckedAt, logSoftmaxAt } from '../../src/lib/engine/logits.ts';
import { DataType, type Node } from '../../src/lib/engine/onnx-writer.ts';
import { addScoringHead, HEAD_INPUT_INDEX, HEAD_INPUT_LOGITS_FROM, HEAD_INPUT_TARGET, HEAD_OUTPUT_ARGMAX, HEAD_OUTPUT_LOGPROB } from '../../src/lib/engine/scoring-head.ts';
import { withScoringHead } from '../../src/lib/engine/head-session.ts';
import { fromHalf, SOFTCAPPED_FP16_HEAD, tinyLm, TINY_V } from '../helpers/tiny-lm.ts';
import { MODELS_DIR } from '../../src/cli/node-engine.ts';
import { join } from 'node:path';
import { buildGpt2Onnx } from '../../bench/random-model.ts';

const i64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

const HEADS: [string, Node[], number][] = [
  ['MatMul', [{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['logits'] }], DataType.FLOAT],
  [
    'MatMul, bias, soft-capping, float16',
    SOFTCAPPED_FP16_HEAD,
    DataType.FLOAT16,
  ],
];

const CASES = HEADS.flatMap(([label, nodes, type]) =>
  (['kernel', 'ops'] as const).flatMap((logSoftmax) => [17, 18].map((opset) => [label, logSoftmax, opset, nodes, type] as const)),
);

describe.each(CASES)('scoring head on %s, log-softmax %s, opset %i', (_label, logSoftmax, opset, nodes, logitsType) => {
  it('gives logSoftmaxAt\'s log-prob and argmax at each picked position; the logits output is unchanged', async () => {
    const bytes = tinyLm(nodes, { logitsType, opset });
    const added = addScoringHead(bytes, { logSoftmax });
    if (!added.bytes) throw new Error(added.reason);
    const plain = await ort.InferenceSession.create(bytes);
    const withHead = await ort.InferenceSession.create(added.bytes);
    const [B, L] = [3, 5];
    const ids = i64(Array.from({ length: B * L }, (_, i) => (i * 7) % TINY_V), [B, L]);
    const { logits } = await plain.run({ input_ids: ids });
    const values = logitsType === DataType.FLOAT16 ? Float32Array.from(logits.data as Uint16Array, fromHalf) : (logits.data as Float32Array);
    // Picks in any order, repeats allowed; target -1 stands for an argmax-only position (scored at token 0).
    const index = [0, 4, 7, 7, 14, 9, 2];
    const target = [3, 0, 10, 5, 1, 7, 6];
    const none = i64([2 ** 62], [1]);
    const out = await withHead.run({ input_ids: ids, [HEAD_INPUT_INDEX]: i64(index, [index.length]), [HEAD_INPUT_TARGET]: i64(target, [target.length]), [HEAD_INPUT_LOGITS_FROM]: none });
    // The model's own LM head ran on no column.
    expect(out.logits.dims).toEqual([B, 0, TINY_V]);
    expect(out[HEAD_OUTPUT_LOGPROB].dims).toEqual([index.length, 1]);
    expect(out[HEAD_OUTPUT_ARGMAX].dims).toEqual([index.length]);
    index.forEach((p, k) => {
      const want = logSoftmaxAt(values, p * TINY_V, TINY_V, target[k]);
      expect(Math.abs((out[HEAD_OUTPUT_LOGPROB].data as Float32Array)[k] - want.logprob)).toBeLessThan(1e-5);
      expect(Number((out[HEAD_OUTPUT_ARGMAX].data as BigInt64Array)[k])).toBe(argmaxCheckedAt(values, p * TINY_V, TINY_V).argmax);
    });
    // With logits_from 0 the model's own output is the original's.
    const again = await withHead.run({ input_ids: ids, [HEAD_INPUT_INDEX]: i64([0], [1]), [HEAD_INPUT_TARGET]: i64([0], [1]), [HEAD_INPUT_LOGITS_FROM]: i64([0], [1]) }, ['logits']);
    expect(Array.from(again.logits.data as ArrayLike<number>)).toEqual(Array.from(logits.data as ArrayLike<number>));
  });
});

describe('loading with the head', () => {
  const path = join(MODELS_DIR, 'arith', 'arith-l1-d12', 'onnx', 'model.onnx');
  const read = async (p: string) => new Uint8Array(await readFile(p));

  it('a path is read and the session gets the head; outside a load, sessions are created as they are', async () => {
    const module = { InferenceSession: { create: (m: Uint8Array | string, o?: object) => ort.InferenceSession.create(m as Uint8Array, o) } };
    const session = (await withScoringHead(module, read, () => module.InferenceSession.create(path))) as ort.InferenceSession;
    expect(session.inputNames).toContain(HEAD_INPUT_INDEX);
    expect(session.outputNames).toEqual(expect.arrayContaining(['logits', HEAD_OUTPUT_LOGPROB, HEAD_OUTPUT_ARGMAX]));
    const outside = (await module.InferenceSession.create(path)) as ort.InferenceSession;
    expect(outside.inputNames).not.toContain(HEAD_INPUT_INDEX);
  });

  it('a runtime that refuses the patched graph gets the model as it is, with one warning', async () => {
    const module = {
      InferenceSession: {
        create: (m: Uint8Array | string, o?: object) =>
          typeof m !== 'string' ? Promise.reject(new Error('Load model failed: protobuf parsing failed')) : ort.InferenceSession.create(m, o),
      },
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const session = (await withScoringHead(module, read, () => module.InferenceSession.create(path))) as ort.InferenceSession;
      expect(session.inputNames).not.toContain(HEAD_INPUT_INDEX);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/scoring head could not be added \(Load model failed: protobuf parsing failed\)/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('the model\'s last ops copied into the head (findTail), on a random GPT-2 graph', () => {
  const shape = { vocab: 40, layers: 2, embd: 16, heads: 2, positions: 32 };
  const [B, L] = [3, 6];
  const feeds = (bytesShape: typeof shape) => {
    const f: Record<string, ort.Tensor> = {
      input_ids: i64(Array.from({ length: B * L }, (_, i) => (i * 7 + 1) % bytesShape.vocab), [B, L]),
      attention_mask: i64(Array.from({ length: B * L }, (_, i) => (i % L < L - (i / L | 0) ? 1 : 0)), [B, L]),
      position_ids: i64(Array.from({ length: B * L }, (_, i) => i % L), [B, L]),
    };
    for (let l = 0; l < bytesShape.layers; l++) for (const kv of ['key', 'value']) f[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, bytesShape.heads, 0, bytesShape.embd / bytesShape.heads]);
    return f;
  };

  it('gives the log-probs and argmaxes of the model\'s logits at the picked positions; with logits_from 0 the logits are the original\'s', async () => {
    const bytes = buildGpt2Onnx(shape);
    const added = addScoringHead(bytes);
    if (!added.bytes) throw new Error(added.reason);
    expect(added.summary).toMatch(/15 of them before the LM head/);
    const plain = await ort.InferenceSession.create(bytes);
    const withHead = await ort.InferenceSession.create(added.bytes);
    const { logits } = await plain.run(feeds(shape));
    const values = logits.data as Float32Array;
    const index = [0, 5, 6, 7, 11, 12, 13, 3, 3];
    const target = [1, 2, 3, 4, 5, 6, 7, 8, 39];
    const out = await withHead.run({ ...feeds(shape), [HEAD_INPUT_INDEX]: i64(index, [index.length]), [HEAD_INPUT_TARGET]: i64(target, [target.length]), [HEAD_INPUT_LOGITS_FROM]: i64([2 ** 62], [1]) });
    expect(out.logits.dims).toEqual([B, 0, shape.vocab]);
    index.forEach((p, k) => {
      const want = logSoftmaxAt(values, p * shape.vocab, shape.vocab, target[k]);
      expect(Math.abs((out[HEAD_OUTPUT_LOGPROB].data as Float32Array)[k] - want.logprob)).toBeLessThan(1e-5);
      expect(Number((out[HEAD_OUTPUT_ARGMAX].data as BigInt64Array)[k])).toBe(want.argmax);
    });
    const again = await withHead.run({ ...feeds(shape), [HEAD_INPUT_INDEX]: i64([0], [1]), [HEAD_INPUT_TARGET]: i64([0], [1]), [HEAD_INPUT_LOGITS_FROM]: i64([0], [1]) }, ['logits']);
    expect(Array.from(again.logits.data as Float32Array)).toEqual(Array.from(values));
  });

  it('a graph that mixes positions among its last ops: the head\'s copy cannot gather it and fails, the model\'s logits stay right', async () => {
    const mixed = { ...shape, mixPositions: true };
    const bytes = buildGpt2Onnx(mixed);
    const added = addScoringHead(bytes);
    if (!added.bytes) throw new Error(added.reason);
    const plain = await ort.InferenceSession.create(bytes);
    const withHead = await ort.InferenceSession.create(added.bytes);
    // The mean over positions is [batch, 1, embd]: rows past the batch size are not there to gather.
    await expect(withHead.run({ ...feeds(mixed), [HEAD_INPUT_INDEX]: i64([0, 7], [2]), [HEAD_INPUT_TARGET]: i64([1, 2], [2]), [HEAD_INPUT_LOGITS_FROM]: i64([2 ** 62], [1]) })).rejects.toThrow();
    const { logits } = await plain.run(feeds(mixed));
    const again = await withHead.run({ ...feeds(mixed), [HEAD_INPUT_INDEX]: i64([0], [1]), [HEAD_INPUT_TARGET]: i64([0], [1]), [HEAD_INPUT_LOGITS_FROM]: i64([0], [1]) }, ['logits']);
    expect(Array.from(again.logits.data as Float32Array)).toEqual(Array.from(logits.data as Float32Array));
  });
});
