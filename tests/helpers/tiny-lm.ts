/**
 * Tiny ONNX language-model graphs for the scoring head's tests: input_ids -> embedding ->
 * hidden [batch, length, D] -> the given LM-head nodes -> logits [batch, length, V].
 */
import { DataType, encodeModel, floatTensor, type Node } from '../../src/lib/engine/onnx-writer.ts';

export const TINY_V = 11;
export const TINY_D = 4;

/** An LM head with a bias, soft-capping (Gemma: cap * tanh(x / cap)) and float16 logits. */
export const SOFTCAPPED_FP16_HEAD: Node[] = [
  { op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['mm'] },
  { op: 'Add', inputs: ['bias', 'mm'], outputs: ['biased'] },
  { op: 'Div', inputs: ['biased', 'cap'], outputs: ['scaled'] },
  { op: 'Tanh', inputs: ['scaled'], outputs: ['t'] },
  { op: 'Mul', inputs: ['t', 'cap'], outputs: ['capped'] },
  { op: 'Cast', inputs: ['capped'], outputs: ['logits'], attrs: { to: DataType.FLOAT16 } },
];

/** `extraInitializers`: float vectors of length D (e.g. a layer norm's scale). */
export function tinyLm(head: Node[], opts: { opset?: number; logitsType?: number; extraInputs?: string[]; extraInitializers?: string[] } = {}): Uint8Array {
  const V = TINY_V;
  const D = TINY_D;
  return encodeModel(
    {
      name: 'tiny',
      nodes: [{ op: 'Gather', inputs: ['emb', 'input_ids'], outputs: ['hidden'], attrs: { axis: 0 } }, ...head],
      initializers: [
        floatTensor('emb', [V, D], Float32Array.from({ length: V * D }, (_, i) => Math.sin(i))),
        floatTensor('w', [D, V], Float32Array.from({ length: V * D }, (_, i) => Math.cos(i))),
        floatTensor('bias', [V], Float32Array.from({ length: V }, (_, i) => i / 10)),
        floatTensor('cap', [], Float32Array.of(30)),
        ...(opts.extraInitializers ?? []).map((name) => floatTensor(name, [D], Float32Array.from({ length: D }, (_, i) => 1 + i / 10))),
      ],
      inputs: [{ name: 'input_ids', type: DataType.INT64, dims: ['batch', 'length'] }, ...(opts.extraInputs ?? []).map((name) => ({ name, type: DataType.FLOAT, dims: ['batch', 'length', V] }))],
      outputs: [{ name: 'logits', type: opts.logitsType ?? DataType.FLOAT, dims: ['batch', 'length', V] }],
    },
    opts.opset ?? 17,
  );
}


/** IEEE half bits of a float (round to nearest even; the tests' values are normal halves). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush (not used by these values)
  let h = sign | (exp << 10) | (mant >>> 13);
  mant &= 0x1fff;
  if (mant > 0x1000 || (mant === 0x1000 && h & 1)) h++;
  return h;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  return exp === 0 ? sign * mant * 2 ** -24 : sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
