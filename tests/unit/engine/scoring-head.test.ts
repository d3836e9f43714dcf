/**
 * The scoring head's graph surgery without a runtime (scoring-head.ts, onnx-reader.ts): which
 * graphs it recognises, what it appends, and the graphs it leaves alone with a reason. The head's
 * numbers are checked against ONNX Runtime in tests/node/scoring-head.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildGpt2Onnx } from '../../../bench/random-model.ts';
import { readGraphSummary } from '../../../src/lib/engine/onnx-reader.ts';
import { DataType, encodeModel, type Node } from '../../../src/lib/engine/onnx-writer.ts';
import { SOFTCAPPED_FP16_HEAD, tinyLm as lm } from '../../helpers/tiny-lm.ts';
import { addScoringHead, findLmHead, findTail, intAttributes, HEAD_INPUT_INDEX, HEAD_INPUT_LOGITS_FROM, HEAD_INPUT_TARGET, HEAD_OUTPUT_ARGMAX, HEAD_OUTPUT_LOGPROB } from '../../../src/lib/engine/scoring-head.ts';

describe('onnx reader', () => {
  it('reads nodes, inputs, outputs with their types, initializers and the opset, skipping weights', () => {
    const s = readGraphSummary(lm([{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['logits'] }], { opset: 14 }));
    expect(s.opset).toBe(14);
    expect(s.irVersion).toBe(8);
    expect(s.nodes.map((n) => n.op)).toEqual(['Gather', 'MatMul']);
    expect(s.nodes[1].inputs).toEqual(['hidden', 'w']);
    expect(s.inputs).toEqual(['input_ids']);
    expect(s.outputs).toEqual(['logits']);
    expect(s.outputTypes.get('logits')).toBe(DataType.FLOAT);
    expect([...s.initializers].sort()).toEqual(['bias', 'cap', 'emb', 'w']);
    expect(s.externalData).toBe(false);
  });

  it('fails with a parse error on cut-off bytes', () => {
    const bytes = lm([{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['logits'] }]);
    expect(() => readGraphSummary(bytes.subarray(0, bytes.length - 7))).toThrow();
    expect(addScoringHead(bytes.subarray(0, 40))).toMatchObject({ bytes: null, reason: expect.stringMatching(/could not be read/) });
  });
});

describe('untrusted model bytes', () => {
  it('cut, flipped or spliced bytes give a head or a reason, never an exception or a hang', () => {
    const bytes = lm([
      { op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'bias'], outputs: ['logits'] },
    ]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(bytes.length), (flips, cut) => {
        const mutated = bytes.slice(0, Math.max(1, cut));
        for (const [at, value] of flips) if (at < mutated.length) mutated[at] = value;
        const r = addScoringHead(mutated);
        expect(r.bytes instanceof Uint8Array || typeof (r as { reason?: unknown }).reason === 'string').toBe(true);
      }),
      { numRuns: 500, seed: 14 },
    );
  });

  it('damaged bytes among the ops before the LM head (attributes findTail reads) give a head or a reason, never an exception', () => {
    const bytes = lm([
      { op: 'ReduceMean', inputs: ['hidden'], outputs: ['m'], attrs: { axes: [-1], keepdims: 1 } },
      { op: 'Sub', inputs: ['hidden', 'm'], outputs: ['c'] },
      { op: 'LayerNormalization', inputs: ['c', 'bias'], outputs: ['n'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['n', 'w'], outputs: ['logits'] },
    ]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (flips) => {
        const mutated = bytes.slice();
        for (const [at, value] of flips) mutated[at] = value;
        const r = addScoringHead(mutated);
        expect(r.bytes instanceof Uint8Array || typeof (r as { reason?: unknown }).reason === 'string').toBe(true);
      }),
      { numRuns: 2000, seed: 15 },
    );
  });

  it('a graph whose nodes feed each other in cycles is refused, and the walk ends', () => {
    const bytes = lm([
      { op: 'MatMul', inputs: ['hidden', 'loop_a'], outputs: ['logits'] },
      { op: 'Add', inputs: ['loop_b', 'loop_c'], outputs: ['loop_a'] },
      { op: 'Add', inputs: ['loop_c', 'loop_a'], outputs: ['loop_b'] },
      { op: 'Add', inputs: ['loop_a', 'loop_b'], outputs: ['loop_c'] },
    ]);
    expect(addScoringHead(bytes)).toMatchObject({ bytes: null, reason: expect.stringMatching(/multiplies two activations/) });
  });
});

describe('finding the LM head', () => {
  it('a plain MatMul (the random GPT-2 model: weights transposed by a node, not an initializer)', () => {
    const head = findLmHead(readGraphSummary(buildGpt2Onnx({ vocab: 50, layers: 1, embd: 8, heads: 2, positions: 16 })));
    expect(head).toMatchObject({ hidden: 'ln_f_out' });
    expect('chain' in head && head.chain.map((l) => l.node.op)).toEqual(['MatMul']);
  });

  it('a bias, soft-capping (Gemma: cap * tanh(x / cap)) and a cast to float16 after the matmul', () => {
    const bytes = lm(SOFTCAPPED_FP16_HEAD, { logitsType: DataType.FLOAT16 });
    const head = findLmHead(readGraphSummary(bytes));
    expect('chain' in head && head.chain.map((l) => `${l.node.op}:${l.input}`)).toEqual(['MatMul:0', 'Add:1', 'Div:0', 'Tanh:0', 'Mul:0', 'Cast:0']);
    const added = addScoringHead(bytes);
    expect(added.bytes && added.summary).toBe('scoring head on MatMul -> Add -> Div -> Tanh -> Mul -> Cast (6 ops copied)');
  });

  it('leaves alone graphs it cannot copy the head of, saying why', () => {
    const cases: [Uint8Array, RegExp][] = [
      [lm([{ op: 'Gather', inputs: ['w', 'input_ids'], outputs: ['logits'], attrs: { axis: 0 } }]), /Gather before the logits/],
      [lm([{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['mm'] }, { op: 'Add', inputs: ['mm', 'other'], outputs: ['logits'] }], { extraInputs: ['other'] }), /combines 2 activations/],
      [lm([{ op: 'MatMul', inputs: ['hidden', 'hidden2'], outputs: ['logits'] }, { op: 'Identity', inputs: ['hidden'], outputs: ['hidden2'] }]), /multiplies two activations/],
      [lm([{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['logits'] }], { opset: 12 }), /opset 12 is older than 13/],
      [lm([{ op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['logits'] }], { logitsType: DataType.INT64 }), /element type 7/],
      [encodeModel({ name: 'x', nodes: [{ op: 'Identity', inputs: ['a'], outputs: ['b'] }], initializers: [], inputs: [{ name: 'a', type: DataType.FLOAT, dims: [1] }], outputs: [{ name: 'b', type: DataType.FLOAT, dims: [1] }] }, 17), /no logits output/],
    ];
    for (const [bytes, reason] of cases) {
      const r = addScoringHead(bytes);
      expect(r.bytes).toBeNull();
      expect(!r.bytes && r.reason).toMatch(reason);
    }
  });
});

describe('adding the head', () => {
  it('keeps the graph but for the LM head matmul\'s input; the merged graph has the head inputs, outputs and uniquely named nodes', () => {
    const bytes = lm([
      { op: 'MatMul', inputs: ['hidden', 'w'], outputs: ['mm'] },
      { op: 'Add', inputs: ['mm', 'bias'], outputs: ['logits'] },
    ]);
    const added = addScoringHead(bytes);
    expect(added.bytes).not.toBeNull();
    const out = added.bytes!;
    const before = readGraphSummary(bytes);
    const s = readGraphSummary(out);
    // The original nodes in their order, the matmul now reading the sliced hidden state; weights untouched.
    expect(s.nodes.slice(0, before.nodes.length).map((n) => [n.op, n.inputs, n.outputs])).toEqual([
      ['Gather', ['emb', 'input_ids'], ['hidden']],
      ['MatMul', ['emergence_score_sliced0', 'w'], ['mm']],
      ['Add', ['mm', 'bias'], ['logits']],
    ]);
    expect([...before.initializers].every((name) => s.initializers.has(name))).toBe(true);
    expect(s.inputs).toEqual(['input_ids', HEAD_INPUT_INDEX, HEAD_INPUT_TARGET, HEAD_INPUT_LOGITS_FROM]);
    expect(s.outputs).toEqual(['logits', HEAD_OUTPUT_LOGPROB, HEAD_OUTPUT_ARGMAX]);
    expect(s.nodes.find((n) => n.op === 'Slice')!.inputs.slice(0, 2)).toEqual(['hidden', HEAD_INPUT_LOGITS_FROM]);
    expect(new Set(s.nodes.map((n) => n.name)).size).toBe(s.nodes.length);
    expect(s.outputTypes.get(HEAD_OUTPUT_ARGMAX)).toBe(DataType.INT64);
    // The copied MatMul reads the gathered rows and the model's own weight.
    const copy = s.nodes.find((n) => n.op === 'MatMul' && n.inputs[0] === 'emergence_score_picked0')!;
    expect(copy.inputs).toEqual(['emergence_score_picked0', 'w']);
    // Applying it twice is refused: the graph already has a head.
    expect(addScoringHead(out)).toMatchObject({ bytes: null, reason: 'the graph already has a scoring head' });
  });
});

describe('the ops before the LM head that run at scored positions only (findTail)', () => {
  const tailOf = (bytes: Uint8Array) => {
    const s = readGraphSummary(bytes);
    const head = findLmHead(s);
    if (!('chain' in head)) throw new Error(head.reason);
    return findTail(s, head.chain.map((l) => l.node));
  };

  it('GPT-2: the last block after its attention and the final layer norm, nothing that feeds the cache', () => {
    const tail = tailOf(buildGpt2Onnx({ vocab: 50, layers: 2, embd: 8, heads: 2, positions: 16 }));
    expect(tail.map((n) => n.outputs[0])).toEqual([
      'h1_proj_mm', 'h1_proj_out', 'h1_x1', 'h1_ln2_out', 'h1_fc_mm', 'h1_fc_out', 'h1_hx', 'h1_xs', 'h1_erf', 'h1_1erf', 'h1_gelu', 'h1_down_mm', 'h1_down_out', 'h1_x2', 'ln_f_out',
    ]);
    // The summary says how many ops moved into the head.
    const added = addScoringHead(buildGpt2Onnx({ vocab: 50, layers: 2, embd: 8, heads: 2, positions: 16 }));
    expect(added.bytes && added.summary).toBe('scoring head on MatMul (16 ops copied, 15 of them before the LM head)');
  });

  it('stops at ops that mix positions: a mean over the positions is read from the model, not copied', () => {
    const tail = tailOf(buildGpt2Onnx({ vocab: 50, layers: 1, embd: 8, heads: 2, positions: 16, mixPositions: true }));
    const outputs = tail.map((n) => n.outputs[0]);
    expect(outputs).not.toContain('mean_over_positions');
    expect(outputs).toContain('x_mixed');
    // Its input (the residual stream) is read by the mean as well, so it is not copied either.
    expect(outputs).not.toContain('h0_x2');
  });

  it('takes reductions and layer norms over the last axis only, and matmuls by constant weights only', () => {
    const cases: [Node[], string[]][] = [
      // mean over the last axis: copied; over axis 1: not (and nothing before it).
      [[{ op: 'ReduceMean', inputs: ['hidden'], outputs: ['m'], attrs: { axes: [-1], keepdims: 1 } }, { op: 'Sub', inputs: ['hidden', 'm'], outputs: ['c'] }, { op: 'MatMul', inputs: ['c', 'w'], outputs: ['logits'] }], ['m', 'c']],
      [[{ op: 'ReduceMean', inputs: ['hidden'], outputs: ['m'], attrs: { axes: [1], keepdims: 1 } }, { op: 'Sub', inputs: ['hidden', 'm'], outputs: ['c'] }, { op: 'MatMul', inputs: ['c', 'w'], outputs: ['logits'] }], ['c']],
      [[{ op: 'LayerNormalization', inputs: ['hidden', 'g'], outputs: ['n'], attrs: { axis: 1 } }, { op: 'MatMul', inputs: ['n', 'w'], outputs: ['logits'] }], []],
      [[{ op: 'LayerNormalization', inputs: ['hidden', 'g'], outputs: ['n'] }, { op: 'MatMul', inputs: ['n', 'w'], outputs: ['logits'] }], ['n']],
      // A matmul of two activations (attention scores) is never copied.
      [[{ op: 'MatMul', inputs: ['hidden', 'hidden'], outputs: ['a'] }, { op: 'MatMul', inputs: ['a', 'w'], outputs: ['logits'] }], []],
    ];
    for (const [nodes, want] of cases) expect(tailOf(lm(nodes, { extraInitializers: ['g'] })).map((n) => n.outputs[0])).toEqual(want);
  });

  it('reads integer attributes, negative ones and packed lists included', () => {
    const s = readGraphSummary(lm([{ op: 'ReduceMean', inputs: ['hidden'], outputs: ['m'], attrs: { axes: [-1, 2], keepdims: 0 } }, { op: 'MatMul', inputs: ['m', 'w'], outputs: ['logits'] }]));
    const attrs = intAttributes(s.nodes[1].raw);
    expect(attrs.get('axes')).toEqual([-1n, 2n]);
    expect(attrs.get('keepdims')).toEqual([0n]);
  });
});
