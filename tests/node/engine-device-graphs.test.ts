/**
 * The graphs the engine runs next to the model on WebGPU (src/lib/engine/device-graphs.ts), run
 * here on onnxruntime-node's CPU provider: the same ONNX semantics, so their math is checked
 * without a GPU. The scoring graph must agree with the JavaScript reduction the CPU path uses
 * (logSoftmaxAt: float64, first index on ties); the row gather must repeat and reorder rows.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { rowGatherGraph, scoringGraph } from '../../src/lib/engine/device-graphs.ts';
import { DataType } from '../../src/lib/engine/onnx-writer.ts';
import { argmaxCheckedAt, logSoftmaxAt } from '../../src/lib/engine/logits.ts';
import { fromHalf, toHalf } from '../helpers/tiny-lm.ts';

const i64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

describe('device graphs', () => {
  it('scoring graph: log softmax at the target and argmax per picked position, as logSoftmaxAt computes them', async () => {
    const session = await ort.InferenceSession.create(scoringGraph());
    const [R, C, V] = [3, 4, 50];
    // Deterministic logits with a wide range (a softmax in float32 must still be exact to ~1e-6).
    const logits = Float32Array.from({ length: R * C * V }, (_, i) => Math.sin(i * 12.9898) * 20);
    // A tie for the maximum at row 1, column 2 (indices 7 and 31): the first index must win.
    const tieOffset = (1 * C + 2) * V;
    logits[tieOffset + 7] = 40;
    logits[tieOffset + 31] = 40;
    const picks = [
      [0, 0, 3],
      [2, 3, 49],
      [1, 2, 31],
      [0, 3, 0],
      [1, 2, 7],
    ];
    const out = await session.run({
      logits: new ort.Tensor('float32', logits, [R, C, V]),
      index: i64(picks.flatMap(([r, c]) => [r, c]), [picks.length, 2]),
      target: i64(picks.map(([, , t]) => t), [picks.length, 1]),
    });
    expect(out.logprob.dims).toEqual([picks.length, 1]);
    expect(out.argmax.dims).toEqual([picks.length]);
    const logprob = out.logprob.data as Float32Array;
    const argmax = Array.from(out.argmax.data as BigInt64Array, Number);
    picks.forEach(([r, c, t], k) => {
      const ref = logSoftmaxAt(logits, (r * C + c) * V, V, t);
      expect(Math.abs(logprob[k] - ref.logprob), `pick ${k}`).toBeLessThan(1e-5);
      expect(argmax[k], `pick ${k}`).toBe(ref.argmax);
    });
    expect(argmax[2]).toBe(7);
    await session.release();
  });

  it('row gather graph: y = x[rows] along the batch axis, repeats and reordering included', async () => {
    const session = await ort.InferenceSession.create(rowGatherGraph());
    const dims = [3, 2, 4, 5];
    const per = 2 * 4 * 5;
    const x = Float32Array.from({ length: 3 * per }, (_, i) => i);
    const rows = [2, 0, 2, 1];
    const out = await session.run({ x: new ort.Tensor('float32', x, dims), rows: i64(rows, [rows.length]) });
    expect(out.y.dims).toEqual([rows.length, 2, 4, 5]);
    const y = out.y.data as Float32Array;
    rows.forEach((row, i) => expect(Array.from(y.subarray(i * per, (i + 1) * per))).toEqual(Array.from(x.subarray(row * per, (row + 1) * per))));
    await session.release();
  });

  it('argmax-only positions on the CPU: same argmax as logSoftmaxAt, and a non-finite logit anywhere is reported', () => {
    const row = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i * 3.7) * 9);
    row[5] = 12;
    row[22] = 12;
    expect(argmaxCheckedAt(row, 0, 40)).toEqual({ logprob: 0, argmax: logSoftmaxAt(row, 0, 40, 0).argmax });
    expect(argmaxCheckedAt(row, 0, 40).argmax).toBe(5);
    // The second half of the buffer as its own row (offset), then NaN and infinities in it.
    expect(argmaxCheckedAt(row, 20, 20).argmax).toBe(2);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const copy = Float32Array.from(row);
      copy[31] = bad;
      expect(argmaxCheckedAt(copy, 20, 20).logprob, String(bad)).toBeNaN();
      expect(argmaxCheckedAt(copy, 0, 20).logprob).toBe(0);
    }
  });

  it('scoring graph for float16 logits (fp16, q4f16 models): the picked rows are reduced in float32', async () => {
    const session = await ort.InferenceSession.create(scoringGraph(DataType.FLOAT16));
    const [R, C, V] = [2, 3, 64];
    const bits = Uint16Array.from({ length: R * C * V }, (_, i) => toHalf(Math.sin(i * 7.77) * 30));
    const values = Float32Array.from(bits, fromHalf);
    const picks = [
      [0, 0, 5],
      [1, 2, 63],
      [0, 2, 0],
    ];
    const out = await session.run({
      logits: new ort.Tensor('float16', bits, [R, C, V]),
      index: i64(picks.flatMap(([r, c]) => [r, c]), [picks.length, 2]),
      target: i64(picks.map(([, , t]) => t), [picks.length, 1]),
    });
    expect(out.logprob.type).toBe('float32');
    picks.forEach(([r, c, t], k) => {
      const ref = logSoftmaxAt(values, (r * C + c) * V, V, t);
      expect(Math.abs((out.logprob.data as Float32Array)[k] - ref.logprob), `pick ${k}`).toBeLessThan(1e-5);
      expect(Number((out.argmax.data as BigInt64Array)[k]), `pick ${k}`).toBe(ref.argmax);
    });
    await session.release();
  });
});
