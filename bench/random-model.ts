/**
 * Random-weight GPT-2-shaped models with real vocabulary sizes (GPT-2's 50,257, Qwen2.5's
 * 151,936), written in the folder layout transformers.js loads: config.json, tokenizer.json
 * (a byte-level BPE of exactly that size), tokenizer_config.json, generation_config.json and
 * onnx/model.onnx (fp32, KV cache: the same signature as the bundled ladder's exporter,
 * training/emergence_training/export.py). Built in TypeScript so benchmarks and tests need
 * neither Python nor a download; the ONNX graph is assembled node by node (src/lib/engine/onnx-writer.ts).
 *
 *   npx tsx bench/random-model.ts --out /tmp/models/rand/gpt2-vocab --vocab 50257 --layers 2 --embd 64 --heads 4
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, floatTensor, int64Tensor, DataType, type Initializer, type Node, type ValueInfo } from '../src/lib/engine/onnx-writer.ts';

export interface RandomModelShape {
  vocab: number;
  layers: number;
  embd: number;
  heads: number;
  positions: number;
  seed?: number;
  /**
   * Tests only: before the final layer norm every position gets the mean over all positions
   * added (not causal), an activation of shape [batch, 1, embd] among the last ops: the scoring
   * head's copy of those ops (scoring-head.ts findTail) cannot gather it, and the engine must
   * notice and read logits instead.
   */
  mixPositions?: boolean;
}

export const GPT2_SMALL: RandomModelShape = { vocab: 50257, layers: 12, embd: 768, heads: 12, positions: 1024 };

/** mulberry32 + Box-Muller: reproducible N(0, std^2) weights (bench code, not the app's core). */
function normals(n: number, std: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(next(), 1e-12);
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

export function buildGpt2Onnx(shape: RandomModelShape): Uint8Array {
  const { vocab: V, layers: L, embd: E, heads: H, positions: P } = shape;
  if (E % H !== 0) throw new Error(`embd (${E}) must be divisible by heads (${H})`);
  const D = E / H;
  const seed = shape.seed ?? 1234;
  let s = seed;
  const nodes: Node[] = [];
  const inits: Initializer[] = [];
  const w = (name: string, dims: number[], std = 0.02) => {
    inits.push(floatTensor(name, dims, normals(dims.reduce((x, y) => x * y, 1), std, s++)));
    return name;
  };
  const c = (name: string, dims: number[], values: number[]) => {
    inits.push(floatTensor(name, dims, Float32Array.from(values)));
    return name;
  };
  const ci = (name: string, dims: number[], values: number[]) => {
    inits.push(int64Tensor(name, dims, values));
    return name;
  };
  const n = (op: string, inputs: string[], output: string, attrs?: Node['attrs']) => {
    nodes.push({ op, inputs, outputs: [output], attrs });
    return output;
  };
  const ones = (k: number) => Array.from({ length: k }, () => 1);
  const zeros = (k: number) => Array.from({ length: k }, () => 0);

  w('wte', [V, E]);
  w('wpe', [P, E], 0.01);
  ci('i0', [], [0]);
  ci('i1', [], [1]);
  ci('ax1', [1], [1]);
  ci('ax12', [2], [1, 2]);
  ci('heads_shape', [4], [0, 0, H, D]);
  ci('merge_shape', [3], [0, 0, E]);
  ci('qkv_split', [3], [E, E, E]);
  c('zero_f', [], [0]);
  c('neg_f', [], [-1e9]);
  c('half', [], [0.5]);
  c('one_f', [], [1]);
  c('inv_sqrt2', [], [Math.SQRT1_2]);
  c('scale', [], [1 / Math.sqrt(D)]);

  let x = n('Add', [n('Gather', ['wte', 'input_ids'], 'tok'), n('Gather', ['wpe', 'position_ids'], 'pos')], 'x0');
  // Query i (absolute index past_len + i) sees key j when j <= past_len + i and key j is not padding.
  const S = n('Gather', [n('Shape', ['input_ids'], 'ids_shape'), 'i1'], 'S');
  const T = n('Gather', [n('Shape', ['attention_mask'], 'mask_shape'), 'i1'], 'T');
  const past = n('Sub', [T, S], 'past_len');
  const keyIdx = n('Range', ['i0', T, 'i1'], 'key_idx');
  const queryIdx = n('Unsqueeze', [n('Add', [n('Range', ['i0', S, 'i1'], 'q_idx0'), past], 'q_idx'), 'ax1'], 'q_col');
  const causal = n('LessOrEqual', [keyIdx, queryIdx], 'causal');
  const visible = n('Unsqueeze', [n('Cast', ['attention_mask'], 'mask_bool', { to: DataType.BOOL }), 'ax12'], 'mask4');
  const bias = n('Where', [n('And', [causal, visible], 'keep'), 'zero_f', 'neg_f'], 'bias');

  const ln = (input: string, prefix: string) =>
    n('LayerNormalization', [input, c(`${prefix}_g`, [E], ones(E)), c(`${prefix}_b`, [E], zeros(E))], `${prefix}_out`, { axis: -1, epsilon: { float: 1e-5 } });
  const linear = (input: string, prefix: string, inDim: number, outDim: number) =>
    n('Add', [n('MatMul', [input, w(`${prefix}_w`, [inDim, outDim])], `${prefix}_mm`), c(`${prefix}_bias`, [outDim], zeros(outDim))], `${prefix}_out`);

  for (let i = 0; i < L; i++) {
    const p = `h${i}`;
    const qkv = linear(ln(x, `${p}_ln1`), `${p}_qkv`, E, 3 * E);
    nodes.push({ op: 'Split', inputs: [qkv, 'qkv_split'], outputs: [`${p}_q`, `${p}_k`, `${p}_v`], attrs: { axis: 2 } });
    const split = (t: string) => n('Transpose', [n('Reshape', [`${p}_${t}`, 'heads_shape'], `${p}_${t}4`)], `${p}_${t}h`, { perm: [0, 2, 1, 3] });
    const q = split('q');
    const k = n('Concat', [`past_key_values.${i}.key`, split('k')], `present.${i}.key`, { axis: 2 });
    const v = n('Concat', [`past_key_values.${i}.value`, split('v')], `present.${i}.value`, { axis: 2 });
    const scores = n('Mul', [n('MatMul', [q, n('Transpose', [k], `${p}_kT`, { perm: [0, 1, 3, 2] })], `${p}_qk`), 'scale'], `${p}_scores`);
    const probs = n('Softmax', [n('Add', [scores, bias], `${p}_masked`)], `${p}_probs`, { axis: -1 });
    const attn = n('Reshape', [n('Transpose', [n('MatMul', [probs, v], `${p}_pv`)], `${p}_pvT`, { perm: [0, 2, 1, 3] }), 'merge_shape'], `${p}_attn`);
    x = n('Add', [x, linear(attn, `${p}_proj`, E, E)], `${p}_x1`);
    const up = linear(ln(x, `${p}_ln2`), `${p}_fc`, E, 4 * E);
    // GELU (erf form): 0.5 x (1 + erf(x / sqrt 2)).
    const gelu = n('Mul', [n('Mul', [up, 'half'], `${p}_hx`), n('Add', ['one_f', n('Erf', [n('Mul', [up, 'inv_sqrt2'], `${p}_xs`)], `${p}_erf`)], `${p}_1erf`)], `${p}_gelu`);
    x = n('Add', [x, linear(gelu, `${p}_down`, 4 * E, E)], `${p}_x2`);
  }
  if (shape.mixPositions) x = n('Add', [x, n('ReduceMean', [x], 'mean_over_positions', { axes: [1], keepdims: 1 })], 'x_mixed');
  n('MatMul', [ln(x, 'ln_f'), n('Transpose', ['wte'], 'wte_T', { perm: [1, 0] })], 'logits');

  const inputs: ValueInfo[] = [
    { name: 'input_ids', type: DataType.INT64, dims: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', type: DataType.INT64, dims: ['batch_size', 'total_sequence_length'] },
    { name: 'position_ids', type: DataType.INT64, dims: ['batch_size', 'sequence_length'] },
  ];
  const outputs: ValueInfo[] = [{ name: 'logits', type: DataType.FLOAT, dims: ['batch_size', 'sequence_length', V] }];
  for (let i = 0; i < L; i++) {
    for (const kv of ['key', 'value']) {
      inputs.push({ name: `past_key_values.${i}.${kv}`, type: DataType.FLOAT, dims: ['batch_size', H, 'past_sequence_length', D] });
      outputs.push({ name: `present.${i}.${kv}`, type: DataType.FLOAT, dims: ['batch_size', H, 'total_sequence_length', D] });
    }
  }
  return encodeModel({ name: 'random-gpt2', nodes, initializers: inits, inputs, outputs }, 17);
}

/** GPT-2's byte-to-unicode table: every byte gets a printable character. */
function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let k = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + k++);
    }
  }
  const table: string[] = new Array(256);
  bs.forEach((b, i) => (table[b] = String.fromCodePoint(cs[i])));
  return table;
}

/**
 * A byte-level BPE with exactly `vocab` ids (the last is <|endoftext|>, as in GPT-2): the 256
 * byte symbols, then merges of printable pairs, then of pair + symbol, until the size is reached.
 */
export function byteLevelTokenizer(vocab: number): { tokenizer: object; eosId: number } {
  const symbols = bytesToUnicode();
  const ids: Record<string, number> = {};
  symbols.forEach((s, i) => (ids[s] = i));
  const merges: string[] = [];
  const eosId = vocab - 1;
  // Digits, letters, space (Ġ), punctuation first: the tokens text is made of.
  const common = [...'0123456789+=-*Ġabcdefghijklmnopqrstuvwxyz'.split(''), ...symbols.slice(0, 94).filter((s) => !'0123456789+=-*abcdefghijklmnopqrstuvwxyz'.includes(s))];
  let size = symbols.length;
  const add = (a: string, b: string) => {
    if (size >= eosId) return false;
    const t = a + b;
    if (t in ids) return true;
    ids[t] = size++;
    merges.push(`${a} ${b}`);
    return true;
  };
  const pairs: string[] = [];
  outer: for (const a of common) {
    for (const b of common) {
      if (!add(a, b)) break outer;
      pairs.push(a + b);
    }
  }
  outer2: for (const a of pairs) {
    for (const b of common) if (!add(a, b)) break outer2;
  }
  if (size < eosId) throw new Error(`vocab ${vocab} is larger than this generator makes`);
  ids['<|endoftext|>'] = eosId;
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: eosId, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab: ids, merges },
  };
  return { tokenizer, eosId };
}

/** Write a model folder `dir` (e.g. <models>/rand/gpt2-vocab) for transformers.js. */
export function writeRandomModel(dir: string, shape: RandomModelShape): void {
  const { tokenizer, eosId } = byteLevelTokenizer(shape.vocab);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const json = (name: string, value: unknown) => writeFileSync(join(dir, name), JSON.stringify(value));
  json('config.json', {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: shape.vocab,
    n_positions: shape.positions,
    n_ctx: shape.positions,
    n_embd: shape.embd,
    n_layer: shape.layers,
    n_head: shape.heads,
    n_inner: 4 * shape.embd,
    activation_function: 'gelu',
    layer_norm_epsilon: 1e-5,
    tie_word_embeddings: true,
    bos_token_id: eosId,
    eos_token_id: eosId,
    pad_token_id: eosId,
    use_cache: true,
  });
  json('generation_config.json', { bos_token_id: eosId, eos_token_id: eosId, pad_token_id: eosId, do_sample: false });
  json('tokenizer.json', tokenizer);
  json('tokenizer_config.json', {
    tokenizer_class: 'GPT2Tokenizer',
    eos_token: '<|endoftext|>',
    bos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    model_max_length: shape.positions,
    clean_up_tokenization_spaces: false,
  });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), buildGpt2Onnx(shape));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      vocab: { type: 'string', default: '50257' },
      layers: { type: 'string', default: '2' },
      embd: { type: 'string', default: '64' },
      heads: { type: 'string', default: '4' },
      positions: { type: 'string', default: '1024' },
    },
  });
  if (!values.out) throw new Error('--out DIR is required');
  writeRandomModel(values.out, { vocab: Number(values.vocab), layers: Number(values.layers), embd: Number(values.embd), heads: Number(values.heads), positions: Number(values.positions) });
  console.log(`wrote ${values.out}`);
}
