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
 * whose first input is the hidden state ([batch, columns, hidden]). Before that chain, the ops
 * that act on each position alone and feed nothing but it (findTail: for GPT-2 the last block
 * after its attention, i.e. output projection, residual, layer norm, MLP, residual, and the final
 * layer norm) are copied too: their result is needed at the scored positions only, while the
 * attention before them must still run everywhere (its keys and values are the cache). The patch,
 * appended to the model's bytes as a second `graph` field (protobuf merges it into the first;
 * onnx-writer.ts encodeGraphPatch), adds, for each activation the copied ops read from the rest
 * of the graph (the "frontier": for GPT-2 the residual stream and the attention's output):
 *
 *   picked_k = Gather(Flatten(frontier_k, axis=2), index)   [N, hidden]   index = row*columns + column
 *
 * then the copied ops on those rows, ending in the LM head chain (+ Cast to float32 for fp16
 * graphs), and on its logits' [N, vocab]:
 *
 *   logprob  = GatherElements(LogSoftmax(logits'), target)   [N, 1]  (LogSoftmax written out as
 *              max, subtract, exp, sum, log with logSoftmax: 'ops', for WebGPU)
 *   argmax   = ArgMax(logits', axis=1)                 [N] (first index on ties, as logits.ts)
 *
 * Rows rather than [1, N, hidden]: with 3-D rows ONNX Runtime fuses the copied residual add and
 * layer norm into SkipLayerNormalization, whose CPU kernel was slower than the two ops (measured);
 * 2-D rows also turn matmul + bias into Gemm.
 *
 * A frontier that is not [batch, columns, ...] (an op that mixes positions, an LM head on
 * flattened rows) gives wrong rows or a failed run: the engine checks the head against the
 * model's logits on a probe when a model loads and gives it up if they disagree
 * (transformers-backend.ts checkScoringHead), and a failed run later does the same (step,
 * runGuarded).
 *
 * ONNX Runtime runs every node of the graph whatever a run fetches (measured: a 29 x 237 call of
 * a GPT-2-vocabulary model fetching only present.* peaked 1.4 GB above its start, the size of the
 * unfetched logits), so the originals of the copied ops are rewired too (the only nodes of the
 * original graph that change, re-encoded in place): where they read a frontier activation they
 * read
 *
 *   sliced_k = Slice(frontier_k, [logits_from], [INT64_MAX], axes=[1])
 *
 * `logits_from` = [0] gives the model's logits as before (transformers.js's forward and generate);
 * the engine's scored calls pass a huge value: those ops run on no column and the logits output
 * is [batch, 0, vocab]. Graphs the walk does not recognise are left alone (the engine then reads
 * logits as before).
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
 * Ops that act on each position of a [batch, columns, hidden] activation on its own, so that
 * running them on gathered positions gives those positions' values: elementwise ops (any other
 * operand constant, or itself position-wise), matmuls by constant weights, normalisations and
 * reductions over the last axis only. Attention (which mixes positions) is never among them.
 */
const ELEMENTWISE_ANY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Erf', 'Tanh', 'Sigmoid', 'Relu', 'Neg', 'Exp', 'Log', 'Cast', 'Softplus', 'Abs', 'Identity', 'Gelu']);
const CONTRIB_POSITIONWISE = new Set(['BiasGelu', 'FastGelu', 'Gelu', 'QuickGelu', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization', 'SimplifiedLayerNormalization', 'LayerNormalization', 'MatMulNBits']);
const LAST_AXIS_NORMS = new Set(['LayerNormalization', 'RMSNormalization']);
const LAST_AXIS_REDUCTIONS = new Set(['ReduceMean', 'ReduceSum', 'ReduceSumSquare', 'ReduceMax', 'ReduceMin', 'ReduceL2']);

/** A varint at the start of `bytes`, as a signed 64-bit value (attributes hold -1 as ten bytes). */
function readVarint(bytes: Uint8Array, at: number): { value: bigint; next: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = at; i < bytes.length; i++) {
    value |= BigInt(bytes[i] & 0x7f) << shift;
    if (bytes[i] < 0x80) return { value: BigInt.asIntN(64, value), next: i + 1 };
    shift += 7n;
    if (shift > 63n) break;
  }
  throw new Error('bad varint');
}

/** A node's integer and integer-list attributes (AttributeProto fields: name 1, i 3, ints 8). */
export function intAttributes(raw: Uint8Array): Map<string, bigint[]> {
  const out = new Map<string, bigint[]>();
  for (const f of rawFields(raw)) {
    if (f.field !== 5 || !f.body) continue;
    let name = '';
    const values: bigint[] = [];
    for (const a of rawFields(f.body)) {
      if (a.field === 1 && a.body) name = new TextDecoder().decode(a.body);
      else if ((a.field === 3 || a.field === 8) && a.wire === 0) values.push(readVarint(a.bytes, readVarint(a.bytes, 0).next).value);
      else if (a.field === 8 && a.wire === 2 && a.body) {
        for (let at = 0; at < a.body.length; ) {
          const v = readVarint(a.body, at);
          values.push(v.value);
          at = v.next;
        }
      }
    }
    out.set(name, values);
  }
  return out;
}

function isPositionWise(n: GraphNode, isConstant: (name: string) => boolean, opset: number): boolean {
  if (n.domain === 'com.microsoft') {
    if (!CONTRIB_POSITIONWISE.has(n.op)) return false;
    // MatMulNBits: quantised constant weights; the others normalise or activate per position.
    return n.op !== 'MatMulNBits' || n.inputs.slice(1).every(isConstant);
  }
  if (n.domain !== '') return false;
  if (ELEMENTWISE_ANY.has(n.op)) return true;
  if (n.op === 'MatMul') return n.inputs.slice(1).every(isConstant);
  const attrs = intAttributes(n.raw);
  if (LAST_AXIS_NORMS.has(n.op)) {
    const axis = attrs.get('axis');
    return axis === undefined || (axis.length === 1 && axis[0] === -1n);
  }
  if (LAST_AXIS_REDUCTIONS.has(n.op)) {
    // From opset 18 the axes are an input (not read here): such reductions end the walk.
    if (n.inputs.length > 1 || (n.op === 'ReduceSum' && opset >= 13)) return false;
    const axes = attrs.get('axes');
    const keep = attrs.get('keepdims');
    return axes !== undefined && axes.length === 1 && axes[0] === -1n && (keep === undefined || keep[0] === 1n);
  }
  return false;
}

/**
 * The nodes before the LM head that can run at the scored positions only: position-wise nodes
 * (above) whose every output is read only by the LM head chain or by other such nodes, found in
 * one backward pass over the (topologically ordered) nodes. For GPT-2 that is the last block after
 * its attention (output projection, residual, second layer norm, MLP, residual) and the final layer
 * norm: the graph still runs the attention of every position (its keys and values are the cache),
 * but not the rest of the block.
 */
export function findTail(s: GraphSummary, chain: GraphNode[], isConstant: (name: string) => boolean = constantTest(s)): GraphNode[] {
  const consumers = new Map<string, GraphNode[]>();
  for (const n of s.nodes) {
    for (const i of n.inputs) {
      const list = consumers.get(i);
      if (list) list.push(n);
      else consumers.set(i, [n]);
    }
  }
  const outputs = new Set(s.outputs);
  const inTail = new Set<GraphNode>(chain);
  const tail: GraphNode[] = [];
  for (let i = s.nodes.length - 1; i >= 0; i--) {
    const n = s.nodes[i];
    if (inTail.has(n)) continue;
    const used = n.outputs.filter((o) => o !== '' && (consumers.get(o)?.length ?? 0) > 0);
    if (used.length === 0 || n.outputs.some((o) => outputs.has(o))) continue;
    if (!used.every((o) => consumers.get(o)!.every((c) => inTail.has(c)))) continue;
    if (isConstant(n.outputs[0]) || !isPositionWise(n, isConstant, s.opset)) continue;
    inTail.add(n);
    tail.unshift(n);
  }
  return tail;
}

/**
 * A NodeProto with its inputs and outputs renamed by `rename` (empty names, omitted optional
 * ones, stay empty) and, when given, a new node name; every other field (op, domain, attributes)
 * kept byte for byte.
 */
function copyNode(raw: Uint8Array, rename: { input?: (name: string, index: number) => string; output?: (name: string) => string; name?: string }): Uint8Array {
  const w = new Writer();
  const text = new TextDecoder();
  let i = 0;
  for (const f of rawFields(raw)) {
    if (f.field === 1 && f.wire === 2 && rename.input) {
      const name = text.decode(f.body!);
      w.string(1, name === '' ? '' : rename.input(name, i));
      i++;
    } else if (f.field === 2 && f.wire === 2 && rename.output) {
      const name = text.decode(f.body!);
      w.string(2, name === '' ? '' : rename.output(name));
    } else if (rename.name !== undefined && f.field === 3 && f.wire === 2) continue;
    else w.raw(f.bytes);
  }
  if (rename.name !== undefined) w.string(3, rename.name);
  return w.finish();
}

/**
 * The model's bytes with some NodeProtos of its graph replaced (the graph field's length
 * re-encoded) and `patch` appended, written into one new array: a model of N bytes costs N more
 * at load, not a copy per step (the weights are most of the graph field and are copied once).
 */
function replaceNodesAndAppend(bytes: Uint8Array, s: GraphSummary, replaced: { node: GraphNode; body: Uint8Array }[], patch: Uint8Array): Uint8Array {
  const g = s.graphSpan!;
  const sorted = [...replaced].sort((x, y) => x.node.span.start - y.node.span.start);
  const graphParts: Uint8Array[] = [];
  let at = g.bodyStart;
  for (const { node, body } of sorted) {
    const nodeField = new Writer();
    nodeField.bytes(1, body);
    graphParts.push(bytes.subarray(at, node.span.start), nodeField.finish());
    at = node.span.end;
  }
  graphParts.push(bytes.subarray(at, g.end));
  const key = new Writer();
  key.tag(7, 2);
  key.varint(graphParts.reduce((n, part) => n + part.length, 0));
  const parts = [bytes.subarray(0, g.keyStart), key.finish(), ...graphParts, bytes.subarray(g.end), patch];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The model's bytes with the scoring head appended, or the reason it was not added (the graph is
 * then used as it is). `bytes` is not modified; the result is a new array.
 */
export interface ScoringHeadOptions {
  /**
   * 'kernel': ONNX's LogSoftmax (one fused pass on CPU and WASM; ReduceLogSumExp, which would
   * spare its [N, vocab] output, measured 1.6x slower for the whole step). 'ops': max, subtract,
   * exp, sum, log written out, for runtimes without a LogSoftmax kernel (onnxruntime-web's WebGPU).
   */
  logSoftmax: 'kernel' | 'ops';
  /**
   * Whether the model's last position-wise ops (findTail) move into the head too, running at the
   * scored positions only (default true). Off, the head starts at the LM head's input.
   */
  tail?: boolean;
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
  const chainNodes = head.chain.map((l) => l.node);
  // The copy runs the LM head chain and, before it, the model's last position-wise ops (findTail)
  // on the scored positions only; the originals of those ops run on hidden[:, from:, :] like the
  // LM head (none of the columns in the engine's calls).
  const isConstant = constantTest(s);
  let tail: GraphNode[] = [];
  try {
    if (options.tail !== false) tail = findTail(s, chainNodes, isConstant);
  } catch {
    // A node whose attributes cannot be read (damaged bytes): the head starts at the LM head.
    tail = [];
  }
  const copied = [...tail, ...chainNodes];
  const produced = new Set(copied.flatMap((n) => n.outputs));
  /** Activations the copied ops read from the rest of the graph ([batch, columns, ...] each). */
  const frontier: string[] = [];
  for (const n of copied) for (const i of n.inputs) if (i !== '' && !produced.has(i) && !isConstant(i) && !frontier.includes(i)) frontier.push(i);
  const nodes: (Node | Uint8Array)[] = [];
  const copyName = new Map<string, string>();
  frontier.forEach((f, k) => {
    nodes.push(
      // For the originals: columns from `logits_from` on (Slice clamps).
      { op: 'Slice', inputs: [f, HEAD_INPUT_LOGITS_FROM, p('int64_max'), p('axis1')], outputs: [p(`sliced${k}`)], name: p(`slice${k}`) },
      // For the copies: the scored positions, [N, hidden] (rows of [batch * columns, hidden]).
      { op: 'Flatten', inputs: [f], outputs: [p(`flat${k}`)], attrs: { axis: 2 }, name: p(`flatten${k}`) },
      { op: 'Gather', inputs: [p(`flat${k}`), HEAD_INPUT_INDEX], outputs: [p(`picked${k}`)], attrs: { axis: 0 }, name: p(`gather${k}`) },
    );
    copyName.set(f, p(`picked${k}`));
  });
  copied.forEach((n, k) => {
    let out = 0;
    const output = (name: string) => {
      const c = p(`copy${k}_${out++}`);
      copyName.set(name, c);
      return c;
    };
    nodes.push(copyNode(n.raw, { input: (name) => copyName.get(name) ?? name, output, name: p(`copy${k}_node`) }));
  });
  // [N, vocab]: the reductions below run over axis 1.
  let current = copyName.get(chainNodes[chainNodes.length - 1].outputs[0])!;
  if (logitsType === DataType.FLOAT16) {
    // Reductions over the vocabulary in float32: a half-float sum loses precision.
    nodes.push({ op: 'Cast', inputs: [current], outputs: [p('logits')], attrs: { to: DataType.FLOAT }, name: p('cast') });
    current = p('logits');
  }
  nodes.push({ op: 'Unsqueeze', inputs: [HEAD_INPUT_TARGET, p('axis1')], outputs: [p('target2')], name: p('unsqueeze') });
  if (options.logSoftmax === 'kernel') {
    nodes.push(
      { op: 'LogSoftmax', inputs: [current], outputs: [p('logsoftmax')], attrs: { axis: -1 }, name: p('logsoftmax_node') },
      { op: 'GatherElements', inputs: [p('logsoftmax'), p('target2')], outputs: [HEAD_OUTPUT_LOGPROB], attrs: { axis: 1 }, name: p('pick_target') },
    );
  } else {
    // Written out (as device-graphs.ts does): onnxruntime-web's WebGPU provider has no LogSoftmax
    // kernel and would copy [N, vocab] to the CPU for it. ReduceMax takes its axes as an input
    // from opset 18 on, ReduceSum from 13 on.
    const maxAxes: Pick<Node, 'inputs' | 'attrs'> = s.opset >= 18 ? { inputs: [current, p('axis1')], attrs: { keepdims: 1 } } : { inputs: [current], attrs: { axes: [1], keepdims: 1 } };
    nodes.push(
      { op: 'ReduceMax', ...maxAxes, outputs: [p('max')], name: p('max_node') },
      { op: 'Sub', inputs: [current, p('max')], outputs: [p('shifted')], name: p('shift') },
      { op: 'Exp', inputs: [p('shifted')], outputs: [p('exp')], name: p('exp_node') },
      { op: 'ReduceSum', inputs: [p('exp'), p('axis1')], outputs: [p('sum')], attrs: { keepdims: 1 }, name: p('sum_node') },
      { op: 'Log', inputs: [p('sum')], outputs: [p('logsum')], name: p('log_node') },
      { op: 'GatherElements', inputs: [p('shifted'), p('target2')], outputs: [p('shifted_target')], attrs: { axis: 1 }, name: p('pick_target') },
      { op: 'Sub', inputs: [p('shifted_target'), p('logsum')], outputs: [HEAD_OUTPUT_LOGPROB], name: p('logprob_node') },
    );
  }
  nodes.push({ op: 'ArgMax', inputs: [current], outputs: [HEAD_OUTPUT_ARGMAX], attrs: { axis: 1, keepdims: 0 }, name: p('argmax_node') });
  const patch = encodeGraphPatch({
    nodes,
    // The new inputs are required: an initializer of the same name would make them optional, but
    // ONNX Runtime then lists them in no input names and onnxruntime-node drops them from a run's
    // feeds (measured: the default was used). Callers that score nothing feed one position.
    initializers: [
      { name: p('int64_max'), dims: [1], type: DataType.INT64, raw: new Uint8Array(BigInt64Array.of(2n ** 63n - 1n).buffer) },
      int64Tensor(p('axis1'), [1], [1]),
    ],
    inputs: [
      { name: HEAD_INPUT_INDEX, type: DataType.INT64, dims: [p('n')] },
      { name: HEAD_INPUT_TARGET, type: DataType.INT64, dims: [p('n')] },
      { name: HEAD_INPUT_LOGITS_FROM, type: DataType.INT64, dims: [1] },
    ],
    outputs: [
      { name: HEAD_OUTPUT_LOGPROB, type: DataType.FLOAT, dims: [p('n'), 1] },
      { name: HEAD_OUTPUT_ARGMAX, type: DataType.INT64, dims: [p('n')] },
    ],
  });
  // The originals read the sliced activations: ONNX Runtime runs every node of a graph whatever a
  // run fetches, so the model's own LM head (and the ops before it that were copied) would still
  // run on every column. `logits_from` = [0] gives the model's logits as before (transformers.js's
  // forward and generate), a huge value gives [batch, 0, vocab] and runs those ops on nothing.
  const sliced = new Map(frontier.map((f, k) => [f, p(`sliced${k}`)]));
  const rewired = copied.filter((n) => n.inputs.some((i) => sliced.has(i))).map((node) => ({ node, body: copyNode(node.raw, { input: (name) => sliced.get(name) ?? name }) }));
  const out = replaceNodesAndAppend(bytes, s, rewired, patch);
  const ops = head.chain.map((l) => l.node.op).join(' -> ');
  const before = tail.length ? `, ${tail.length} of them before the LM head` : '';
  return { bytes: out, summary: `scoring head on ${ops} (${copied.length} op${copied.length === 1 ? '' : 's'} copied${before})`, externalData: s.externalData };
}
