/**
 * The scoring graph: run on the model's own device right after each forward pass, so that of the
 * logits [rows, columns, vocab] only the needed positions are reduced, and only [picks]
 * log-probs and argmaxes come back (not rows x columns x vocab floats):
 *
 *   picked   = Gather(Flatten(logits), positions)            [K, vocab]
 *   logprobs = GatherElements(LogSoftmax(picked), targets)   [K]   log softmax(logits)[target]
 *   argmax   = ArgMax(picked)                                [K]   first index on ties, as ONNX specifies
 */
import { DataType, encodeModel, int64Tensor } from './onnx-writer.ts';

export const SCORING_INPUTS = { logits: 'logits', positions: 'positions', targets: 'targets' } as const;
export const SCORING_OUTPUTS = { logprobs: 'logprobs', argmax: 'argmax' } as const;

export function buildScoringGraph(): Uint8Array {
  return encodeModel(
    {
      name: 'emergence-scoring',
      nodes: [
        { op: 'Flatten', inputs: ['logits'], outputs: ['flat'], attrs: { axis: 2 } },
        { op: 'Gather', inputs: ['flat', 'positions'], outputs: ['picked'], attrs: { axis: 0 } },
        { op: 'LogSoftmax', inputs: ['picked'], outputs: ['lsm'], attrs: { axis: 1 } },
        { op: 'Unsqueeze', inputs: ['targets', 'axis1'], outputs: ['targets2'] },
        { op: 'GatherElements', inputs: ['lsm', 'targets2'], outputs: ['lp2'], attrs: { axis: 1 } },
        { op: 'Squeeze', inputs: ['lp2', 'axis1'], outputs: ['logprobs'] },
        { op: 'ArgMax', inputs: ['picked'], outputs: ['argmax'], attrs: { axis: 1, keepdims: 0 } },
      ],
      initializers: [int64Tensor('axis1', [1], [1])],
      inputs: [
        { name: 'logits', type: DataType.FLOAT, dims: ['rows', 'columns', 'vocab'] },
        { name: 'positions', type: DataType.INT64, dims: ['picks'] },
        { name: 'targets', type: DataType.INT64, dims: ['picks'] },
      ],
      outputs: [
        { name: 'logprobs', type: DataType.FLOAT, dims: ['picks'] },
        { name: 'argmax', type: DataType.INT64, dims: ['picks'] },
      ],
    },
    13,
  );
}
