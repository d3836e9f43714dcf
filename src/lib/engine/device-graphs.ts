/**
 * Small ONNX graphs the engine runs next to the model on the same device (WebGPU), so that what
 * the model leaves on the GPU is reduced there and only the answer travels to the CPU.
 */
import { DataType, encodeModel, int64Tensor } from './onnx-writer.ts';

/**
 * Scoring graph: logits [rows, columns, vocab] (a GPU buffer), index [picks, 2] (row, column of
 * each scored position), target [picks, 1]. Outputs per pick: logprob = log softmax(logits at the
 * position)[target] ([picks, 1], float32) and argmax ([picks], int64; ArgMax's default
 * select_last_index = 0 keeps the first index on ties, as logSoftmaxAt does). The CPU then
 * receives 12 bytes per scored position instead of vocab x 4 per column of every row.
 */
export function scoringGraph(logitsType: number = DataType.FLOAT): Uint8Array {
  // float16 logits (fp16 and q4f16 models): the picked rows are cast to float32 before the
  // reductions, so a sum over the vocabulary does not lose precision or overflow in half floats.
  const half = logitsType === DataType.FLOAT16;
  return encodeModel(
    {
      name: 'emergence-lab-scoring',
      // log softmax written out (max, subtract, exp, sum, log): onnxruntime-web's WebGPU provider
      // has no LogSoftmax kernel and would copy the picked rows to the CPU for it.
      nodes: [
        ...(half
          ? [
              { op: 'GatherND', inputs: ['logits', 'index'], outputs: ['pickedHalf'] },
              { op: 'Cast', inputs: ['pickedHalf'], outputs: ['picked'], attrs: { to: DataType.FLOAT } },
            ]
          : [{ op: 'GatherND', inputs: ['logits', 'index'], outputs: ['picked'] }]),
        { op: 'ReduceMax', inputs: ['picked'], outputs: ['max'], attrs: { axes: [1], keepdims: 1 } },
        { op: 'Sub', inputs: ['picked', 'max'], outputs: ['shifted'] },
        { op: 'Exp', inputs: ['shifted'], outputs: ['exp'] },
        { op: 'ReduceSum', inputs: ['exp', 'axis1'], outputs: ['sum'], attrs: { keepdims: 1 } },
        { op: 'Log', inputs: ['sum'], outputs: ['logsum'] },
        { op: 'GatherElements', inputs: ['shifted', 'target'], outputs: ['shiftedTarget'], attrs: { axis: 1 } },
        { op: 'Sub', inputs: ['shiftedTarget', 'logsum'], outputs: ['logprob'] },
        { op: 'ArgMax', inputs: ['picked'], outputs: ['argmax'], attrs: { axis: 1, keepdims: 0 } },
      ],
      initializers: [int64Tensor('axis1', [1], [1])],
      inputs: [
        { name: 'logits', type: half ? DataType.FLOAT16 : DataType.FLOAT, dims: ['rows', 'columns', 'vocab'] },
        { name: 'index', type: DataType.INT64, dims: ['picks', 2] },
        { name: 'target', type: DataType.INT64, dims: ['picks', 1] },
      ],
      outputs: [
        { name: 'logprob', type: DataType.FLOAT, dims: ['picks', 1] },
        { name: 'argmax', type: DataType.INT64, dims: ['picks'] },
      ],
    },
    13,
  );
}

/** Row gather for key/value caches kept on the GPU: y = x[rows] along axis 0 (x is [batch, heads, length, head_dim]). */
export function rowGatherGraph(dataType: number = DataType.FLOAT): Uint8Array {
  return encodeModel(
    {
      name: 'emergence-lab-row-gather',
      nodes: [{ op: 'Gather', inputs: ['x', 'rows'], outputs: ['y'], attrs: { axis: 0 } }],
      initializers: [],
      inputs: [
        { name: 'x', type: dataType, dims: ['batch', 'heads', 'length', 'head_dim'] },
        { name: 'rows', type: DataType.INT64, dims: ['n'] },
      ],
      outputs: [{ name: 'y', type: dataType, dims: ['n', 'heads', 'length', 'head_dim'] }],
    },
    13,
  );
}

/**
 * Cache join for greedy decoding pooled across batches, on the GPU: `caches` caches of `tensors`
 * tensors each (input `x{c}_{t}`, [rows_c, heads, length_c, head_dim]) become one (output
 * `y{t}`): each tensor zero-padded at the end of its length axis by `pad{c}` ([8] int64, Pad's
 * begin/end pads; the caller masks the padding out) and concatenated along the batch axis, cache
 * by cache. One graph per (caches, tensors, type): a model's whole cache is joined in one run.
 */
export function cacheJoinGraph(caches: number, tensors: number, dataType: number = DataType.FLOAT): Uint8Array {
  if (!Number.isInteger(caches) || caches < 2 || !Number.isInteger(tensors) || tensors < 1) throw new Error(`cacheJoinGraph: needs 2+ caches and 1+ tensors, got ${caches} and ${tensors}.`);
  const cs = Array.from({ length: caches }, (_, c) => c);
  const ts = Array.from({ length: tensors }, (_, t) => t);
  return encodeModel(
    {
      name: 'emergence-lab-cache-join',
      nodes: ts.flatMap((t) => [
        ...cs.map((c) => ({ op: 'Pad', inputs: [`x${c}_${t}`, `pad${c}`], outputs: [`p${c}_${t}`] })),
        { op: 'Concat', inputs: cs.map((c) => `p${c}_${t}`), outputs: [`y${t}`], attrs: { axis: 0 } },
      ]),
      initializers: [],
      inputs: [
        ...cs.flatMap((c) => ts.map((t) => ({ name: `x${c}_${t}`, type: dataType, dims: [`rows${c}`, 'heads', `length${c}`, 'head_dim'] }))),
        ...cs.map((c) => ({ name: `pad${c}`, type: DataType.INT64, dims: [8] })),
      ],
      outputs: ts.map((t) => ({ name: `y${t}`, type: dataType, dims: ['rows', 'heads', 'length', 'head_dim'] })),
    },
    13,
  );
}
