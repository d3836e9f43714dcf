/**
 * The scoring head: nodes appended to a causal language model's ONNX graph so that one run
 * returns, per scored position, log softmax(logits)[target] and the argmax, and the vocabulary
 * projection (the LM head) runs only at those positions.
 *
 * Why: scoring needs the logits of a few positions per row (the target tokens), but the exported
 * graph projects every position onto the vocabulary and hands rows x columns x vocab floats to
 * JavaScript, which then takes a log-softmax over each picked row. With GPT-2's 50,257-token
 * vocabulary that projection and that copy are most of a forward pass. The head gathers the
 * hidden states of the scored positions first, runs a copy of the model's own LM head (same
 * weights, same op) on them, and reduces inside the runtime.
 *
 * How: the graph is read without its weights (onnx-reader.ts); from the `logits` output it walks
 * back through elementwise ops with constant operands (bias, cast, soft-capping) to the matmul
 * whose first input is the hidden state ([batch, columns, hidden]). The patch, appended to the
 * model's bytes as a second `graph` field (protobuf merges it into the first; onnx-writer.ts
 * encodeGraphPatch), adds:
 *
 *   hidden3  = Reshape(hidden, [1, -1, 0])             [1, batch*columns, hidden]
 *   picked   = Gather(hidden3, index, axis=1)          [1, N, hidden]   index = row*columns + column
 *   logits'  = the LM head chain on picked (+ Cast to float32 for fp16 graphs)   [1, N, vocab]
 *   logprob  = GatherElements(LogSoftmax(logits'), target)   [1, N, 1]  (LogSoftmax written out as
 *              max, subtract, exp, sum, log with logSoftmax: 'ops', for WebGPU)
 *   argmax   = ArgMax(logits', axis=2)                 [1, N] (first index on ties, as logits.ts)
 *
 * A hidden state that is not [batch, columns, hidden] (an LM head on flattened rows) makes the
 * first run fail; the engine then gives the head up and runs the model as exported
 * (transformers-backend.ts: step, runGuarded).
 *
 * ONNX Runtime runs every node of the graph whatever a run fetches (measured: a 29 x 237 call of
 * a GPT-2-vocabulary model fetching only present.* peaked 1.4 GB above its start, the size of the
 * unfetched logits), so the model's own LM head is rewired too: its matmul, the one node of the
 * original graph that changes (re-encoded in place), reads
 *
 *   lm_in    = Slice(hidden, [logits_from], [INT64_MAX], axes=[1])
 *
 * `logits_from` = [0] gives the model's logits as before (transformers.js's forward and generate);
 * the engine's scored calls pass a huge value and the logits output is [batch, 0, vocab]. Graphs
 * the walk does not recognise are left alone (the engine then reads logits as before).
 */
import { rawFields, readGraphSummary, type GraphNode, type GraphSummary } from './onnx-reader.ts';
import { DataType, encodeGraphPatch, Writer, int64Tensor, type Node } from './onnx-writer.ts';

export const HEAD_INPUT_INDEX = 'emergence_score_index';
export const HEAD_INPUT_TARGET = 'emergence_score_target';
/** Where the model's own logits start along the columns: [0] for all of them, a huge value for none. */
export const HEAD_INPUT_LOGITS_FROM = 'emergence_score_logits_from';
export const HEAD_OUTPUT_LOGPROB = 'emergence_score_logprob';
export const HEAD_OUTPUT_ARGMAX = 'emergence_score_argmax';

/** Ops allowed between the LM head's matmul and the logits output (elementwise, other operands constant). */
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Cast', 'Tanh']);
/** The LM head itself: a matmul whose first input is the hidden state (rank 3). */
const MATMULS = new Set(['MatMul', 'MatMulNBits']);

export type ScoringHead = { bytes: Uint8Array; summary: string; externalData: boolean } | { bytes: null; reason: string };

interface ChainLink {
  node: GraphNode;
  /** Which input carries the activation. */
  input: number;
}

/** Whether `name` is computed from initializers and constants only (weights, not activations). */
function constantTest(s: GraphSummary): (name: string) => boolean {
  const producer = new Map<string, GraphNode>();
  for (const n of s.nodes) for (const o of n.outputs) producer.set(o, n);
  const memo = new Map<string, boolean>();
  const inputs = new Set(s.inputs.filter((i) => !s.initializers.has(i)));
  const test = (name: string, depth: number): boolean => {
    if (name === '') return true; // an omitted optional input
    const known = memo.get(name);
    if (known !== undefined) return known;
    // Not constant while being decided: a cycle (a malformed graph) ends at once, not at the depth limit.
    memo.set(name, false);
    let result: boolean;
    if (inputs.has(name)) result = false;
    else if (s.initializers.has(name)) result = true;
    else {
      const n = producer.get(name);
      result = n !== undefined && depth < 64 && n.inputs.every((i) => test(i, depth + 1));
    }
    memo.set(name, result);
    return result;
  };
  return (name) => test(name, 0);
}

/** The LM head chain from the hidden state to `logits`, or why there is none. */
export function findLmHead(s: GraphSummary): { hidden: string; chain: ChainLink[] } | { reason: string } {
  const producer = new Map<string, GraphNode>();
  for (const n of s.nodes) for (const o of n.outputs) producer.set(o, n);
  const isConstant = constantTest(s);
  const chain: ChainLink[] = [];
  let name = 'logits';
  for (let depth = 0; depth < 8; depth++) {
    const node = producer.get(name);
    if (!node) return { reason: `nothing in the graph computes ${name}` };
    if (node.outputs.length !== 1) return { reason: `${node.op} before the logits has ${node.outputs.length} outputs` };
    if (MATMULS.has(node.op) && (node.domain === '' || node.domain === 'com.microsoft')) {
      if (node.inputs.slice(1).some((i) => !isConstant(i))) return { reason: `the LM head's ${node.op} multiplies two activations` };
      if (isConstant(node.inputs[0])) return { reason: `the LM head's ${node.op} has a constant first input` };
      chain.unshift({ node, input: 0 });
      return { hidden: node.inputs[0], chain };
    }
    if (!ELEMENTWISE.has(node.op) || node.domain !== '') return { reason: `${node.op} before the logits is not an op the head can copy` };
    const moving = node.inputs.map((i, k) => (isConstant(i) ? -1 : k)).filter((k) => k >= 0);
    if (moving.length !== 1) return { reason: `${node.op} before the logits combines ${moving.length} activations` };
    chain.unshift({ node, input: moving[0] });
    name = node.inputs[moving[0]];
  }
  return { reason: 'no matmul within 8 ops of the logits' };
}

/**
 * A NodeProto with input `inputIndex` renamed and, when given, its (single) output and its name;
 * every other field (op, domain, attributes) kept byte for byte.
 */
function copyNode(raw: Uint8Array, inputIndex: number, input: string, rename?: { output: string; name: string }): Uint8Array {
  const w = new Writer();
  let i = 0;
  for (const f of rawFields(raw)) {
    if (f.field === 1 && f.wire === 2) {
      if (i++ === inputIndex) w.string(1, input);
      else w.raw(f.bytes);
    } else if (rename && f.field === 2 && f.wire === 2) w.string(2, rename.output);
    else if (rename && f.field === 3 && f.wire === 2) continue;
    else w.raw(f.bytes);
  }
  if (rename) w.string(3, rename.name);
  return w.finish();
}

/**
 * The model's bytes with one NodeProto of its graph replaced (the graph field's length re-encoded)
 * and `patch` appended, written into one new array: a model of N bytes costs N more at load, not
 * a copy per step (the weights are most of the graph field and are copied once).
 */
function replaceNodeAndAppend(bytes: Uint8Array, s: GraphSummary, node: GraphNode, body: Uint8Array, patch: Uint8Array): Uint8Array {
  const g = s.graphSpan!;
  const nodeField = new Writer();
  nodeField.bytes(1, body);
  const newNode = nodeField.finish();
  const graphLength = node.span.start - g.bodyStart + newNode.length + (g.end - node.span.end);
  const key = new Writer();
  key.tag(7, 2);
  key.varint(graphLength);
  const graphKey = key.finish();
  const parts = [bytes.subarray(0, g.keyStart), graphKey, bytes.subarray(g.bodyStart, node.span.start), newNode, bytes.subarray(node.span.end, g.end), bytes.subarray(g.end), patch];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The model's bytes with the scoring head appended, or the reason it was not added (the graph is
 * then used as it is). `bytes` is not modified; the result is a new array.
 */
export interface ScoringHeadOptions {
  /**
   * 'kernel': ONNX's LogSoftmax (one fused pass on CPU and WASM). 'ops': max, subtract, exp, sum,
   * log written out, for runtimes without a LogSoftmax kernel (onnxruntime-web's WebGPU).
   */
  logSoftmax: 'kernel' | 'ops';
}

export function addScoringHead(bytes: Uint8Array, options: ScoringHeadOptions = { logSoftmax: 'kernel' }): ScoringHead {
  let s: GraphSummary;
  try {
    s = readGraphSummary(bytes);
  } catch (err) {
    return { bytes: null, reason: `the ONNX file could not be read (${err instanceof Error ? err.message : String(err)})` };
  }
  if (!s.outputs.includes('logits')) return { bytes: null, reason: 'the graph has no logits output' };
  if (s.inputs.includes(HEAD_INPUT_INDEX)) return { bytes: null, reason: 'the graph already has a scoring head' };
  // LogSoftmax over one axis, GatherElements and Unsqueeze with an axes input need opset 13.
  if (s.opset < 13) return { bytes: null, reason: `opset ${s.opset} is older than 13` };
  const logitsType = s.outputTypes.get('logits');
  if (logitsType !== DataType.FLOAT && logitsType !== DataType.FLOAT16) return { bytes: null, reason: `logits of element type ${logitsType ?? 'unknown'}` };
  const head = findLmHead(s);
  if ('reason' in head) return { bytes: null, reason: head.reason };
  if (!s.graphSpan) return { bytes: null, reason: 'the graph is split over several fields' };

  const p = (x: string) => `emergence_score_${x}`;
  const nodes: (Node | Uint8Array)[] = [
    { op: 'Reshape', inputs: [head.hidden, p('shape')], outputs: [p('hidden')], name: p('reshape') },
    { op: 'Gather', inputs: [p('hidden'), HEAD_INPUT_INDEX], outputs: [p('picked')], attrs: { axis: 1 }, name: p('gather') },
  ];
  let current = p('picked');
  head.chain.forEach((link, k) => {
    const out = p(`chain${k}`);
    nodes.push(copyNode(link.node.raw, link.input, current, { output: out, name: p(`chain${k}_node`) }));
    current = out;
  });
  if (logitsType === DataType.FLOAT16) {
    // Reductions over the vocabulary in float32: a half-float sum loses precision.
    nodes.push({ op: 'Cast', inputs: [current], outputs: [p('logits')], attrs: { to: DataType.FLOAT }, name: p('cast') });
    current = p('logits');
  }
  nodes.push({ op: 'Unsqueeze', inputs: [HEAD_INPUT_TARGET, p('axes02')], outputs: [p('target3')], name: p('unsqueeze') });
  if (options.logSoftmax === 'kernel') {
    nodes.push(
      { op: 'LogSoftmax', inputs: [current], outputs: [p('logsoftmax')], attrs: { axis: -1 }, name: p('logsoftmax_node') },
      { op: 'GatherElements', inputs: [p('logsoftmax'), p('target3')], outputs: [HEAD_OUTPUT_LOGPROB], attrs: { axis: 2 }, name: p('pick_target') },
    );
  } else {
    // Written out (as device-graphs.ts does): onnxruntime-web's WebGPU provider has no LogSoftmax
    // kernel and would copy [N, vocab] to the CPU for it. ReduceMax takes its axes as an input
    // from opset 18 on, ReduceSum from 13 on.
    const maxAxes: Pick<Node, 'inputs' | 'attrs'> = s.opset >= 18 ? { inputs: [current, p('axis2')], attrs: { keepdims: 1 } } : { inputs: [current], attrs: { axes: [2], keepdims: 1 } };
    nodes.push(
      { op: 'ReduceMax', ...maxAxes, outputs: [p('max')], name: p('max_node') },
      { op: 'Sub', inputs: [current, p('max')], outputs: [p('shifted')], name: p('shift') },
      { op: 'Exp', inputs: [p('shifted')], outputs: [p('exp')], name: p('exp_node') },
      { op: 'ReduceSum', inputs: [p('exp'), p('axis2')], outputs: [p('sum')], attrs: { keepdims: 1 }, name: p('sum_node') },
      { op: 'Log', inputs: [p('sum')], outputs: [p('logsum')], name: p('log_node') },
      { op: 'GatherElements', inputs: [p('shifted'), p('target3')], outputs: [p('shifted_target')], attrs: { axis: 2 }, name: p('pick_target') },
      { op: 'Sub', inputs: [p('shifted_target'), p('logsum')], outputs: [HEAD_OUTPUT_LOGPROB], name: p('logprob_node') },
    );
  }
  nodes.push({ op: 'ArgMax', inputs: [current], outputs: [HEAD_OUTPUT_ARGMAX], attrs: { axis: 2, keepdims: 0 }, name: p('argmax_node') });
  // The model's own LM head: ONNX Runtime runs every node of a graph whatever a run fetches, so
  // the logits output would still be computed for every position. Its matmul now reads
  // hidden[:, from:, :] (Slice clamps), with `from` an input: 0 gives the model's logits as
  // before (transformers.js's forward and generate), a huge value gives [batch, 0, vocab].
  nodes.push({ op: 'Slice', inputs: [head.hidden, HEAD_INPUT_LOGITS_FROM, p('int64_max'), p('axis1')], outputs: [p('lm_in')], name: p('logits_slice') });
  const root = head.chain[0].node;
  const patch = encodeGraphPatch({
    nodes,
    // The new inputs are required: an initializer of the same name would make them optional, but
    // ONNX Runtime then lists them in no input names and onnxruntime-node drops them from a run's
    // feeds (measured: the default was used). Callers that score nothing feed one position.
    initializers: [
      int64Tensor(p('shape'), [3], [1, -1, 0]),
      int64Tensor(p('axes02'), [2], [0, 2]),
      { name: p('int64_max'), dims: [1], type: DataType.INT64, raw: new Uint8Array(BigInt64Array.of(2n ** 63n - 1n).buffer) },
      int64Tensor(p('axis1'), [1], [1]),
      int64Tensor(p('axis2'), [1], [2]),
    ],
    inputs: [
      { name: HEAD_INPUT_INDEX, type: DataType.INT64, dims: [p('n')] },
      { name: HEAD_INPUT_TARGET, type: DataType.INT64, dims: [p('n')] },
      { name: HEAD_INPUT_LOGITS_FROM, type: DataType.INT64, dims: [1] },
    ],
    outputs: [
      { name: HEAD_OUTPUT_LOGPROB, type: DataType.FLOAT, dims: [1, p('n'), 1] },
      { name: HEAD_OUTPUT_ARGMAX, type: DataType.INT64, dims: [1, p('n')] },
    ],
  });
  const out = replaceNodeAndAppend(bytes, s, root, copyNode(root.raw, head.chain[0].input, p('lm_in')), patch);
  const ops = head.chain.map((l) => l.node.op).join(' -> ');
  return { bytes: out, summary: `scoring head on ${ops} (${head.chain.length} op${head.chain.length === 1 ? '' : 's'} copied)`, externalData: s.externalData };
}
