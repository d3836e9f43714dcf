/**
 * The graphs the engine runs next to the model on WebGPU (src/lib/engine/device-graphs.ts), run
 * here on onnxruntime-node's CPU provider: the same ONNX semantics, so their math is checked
 * without a GPU. The scoring graph must agree with the JavaScript reduction the CPU path uses
 * (logSoftmaxAt: float64, first index on ties); the row gather must repeat and reorder rows; the
 * cache join must equal the CPU join (rows in order, each right-padded with zeros).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cacheJoinGraph, rowGatherGraph, scoringGraph } from '../../src/lib/engine/device-graphs.ts';
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

  it('cache join graph: every cache\'s rows in order, each zero-padded to the common length, for every tensor', async () => {
    // Three caches of two tensors each (a key and a value of one layer), different rows and columns.
    const [H, D, length] = [2, 3, 5];
    const shapes = [
      { rows: 2, columns: 3 },
      { rows: 1, columns: 5 },
      { rows: 3, columns: 1 },
    ];
    let seed = 1;
    const caches = shapes.map(({ rows, columns }) =>
      [0, 1].map(() => ({ rows, columns, data: Float32Array.from({ length: rows * H * columns * D }, () => (seed++ % 97) - 48.5) })),
    );
    const session = await ort.InferenceSession.create(cacheJoinGraph(shapes.length, 2));
    const feeds: Record<string, ort.Tensor> = {};
    caches.forEach((tensors, c) => {
      tensors.forEach((x, t) => (feeds[`x${c}_${t}`] = new ort.Tensor('float32', x.data, [x.rows, H, x.columns, D])));
      feeds[`pad${c}`] = i64([0, 0, 0, 0, 0, 0, length - shapes[c].columns, 0], [8]);
    });
    const out = await session.run(feeds);
    const rows = shapes.reduce((s, x) => s + x.rows, 0);
    for (const t of [0, 1]) {
      // The CPU join (TransformersBackend.joinCaches): [rows, heads, length, D], each row's head
      // block the cache's columns then zeros.
      const expected = new Float32Array(rows * H * length * D);
      let row0 = 0;
      for (const tensors of caches) {
        const x = tensors[t];
        for (let rh = 0; rh < x.rows * H; rh++) expected.set(x.data.subarray(rh * x.columns * D, (rh + 1) * x.columns * D), (row0 * H + rh) * length * D);
        row0 += x.rows;
      }
      expect(out[`y${t}`].dims).toEqual([rows, H, length, D]);
      expect(Array.from(out[`y${t}`].data as Float32Array)).toEqual(Array.from(expected));
    }
    await session.release();
    expect(() => cacheJoinGraph(1, 2)).toThrow(/2\+ caches/);
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
