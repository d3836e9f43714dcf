import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVATION_PEAK_FACTOR, activationBytesOfConfig, CALL_COST_POSITIONS, callBytes, columnsPerCall, plannedBudget, planRowBatches, WORKING_SET_RESERVE_BYTES, type MemoryModel } from '../../../src/lib/engine/batching.ts';

interface Entry {
  id: number;
  rows: number;
  length: number;
  columns: number;
}

const plan = (entries: Entry[], m: MemoryModel) =>
  planRowBatches(
    entries,
    (e) => e.rows,
    (e) => e.length,
    (e) => e.columns,
    m,
  );
const memory = (maxRows: number, budgetBytes = Infinity): MemoryModel => ({ vocab: 17, kvBytesPerToken: 1024, budgetBytes, maxRows });
const rowsOf = (b: Entry[]) => b.reduce((s, e) => s + e.rows, 0);
/** The planner's objective: padded positions plus a call's cost per batch. */
const costOf = (batches: Entry[][]) => batches.reduce((s, b) => s + rowsOf(b) * Math.max(...b.map((e) => e.length)) + CALL_COST_POSITIONS, 0);
/** Whether a batch fits: its scored columns in one call (with logits at scored columns only, its whole rows). */
const fits = (b: Entry[], m: MemoryModel) => {
  const length = Math.max(...b.map((e) => e.length));
  const columns = Math.max(...b.map((e) => e.columns));
  return b.length === 1 || (rowsOf(b) <= m.maxRows && callBytes(rowsOf(b), columns, length, m, m.scoredOnly ? length : columns) <= m.budgetBytes);
};

/** Every way to cut the length-sorted entries into contiguous batches that fit, the cheapest cost. */
function bruteForceCost(entries: Entry[], m: MemoryModel): number {
  const sorted = [...entries].sort((x, y) => y.length - x.length || x.id - y.id);
  let bestCost = Infinity;
  const n = sorted.length;
  for (let mask = 0; mask < 1 << Math.max(0, n - 1); mask++) {
    const batches: Entry[][] = [[]];
    sorted.forEach((e, i) => {
      if (i > 0 && mask & (1 << (i - 1))) batches.push([]);
      batches[batches.length - 1].push(e);
    });
    if (batches.every((b) => fits(b, m))) bestCost = Math.min(bestCost, costOf(batches));
  }
  return bestCost;
}

const entriesArb = (maxLength: number) =>
  fc.array(fc.record({ rows: fc.integer({ min: 1, max: 6 }), length: fc.integer({ min: 1, max: maxLength }), columns: fc.integer({ min: 1, max: 8 }) }), { minLength: 1, maxLength: 60 }).map((xs) => xs.map((x, id) => ({ id, ...x })));

describe('planRowBatches (length-aware cuts)', () => {
  it('puts every entry in exactly one batch, longest first, within the row cap and the budget', () => {
    fc.assert(
      fc.property(entriesArb(40), fc.integer({ min: 1, max: 20 }), fc.option(fc.integer({ min: 1, max: 4_000_000 }), { nil: undefined }), (entries, maxRows, budget) => {
        const m = memory(maxRows, budget ?? Infinity);
        const batches = plan(entries, m);
        expect(batches.flat().map((e) => e.id).sort((a, b) => a - b)).toEqual(entries.map((e) => e.id));
        const lengths = batches.flat().map((e) => e.length);
        expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
        for (const b of batches) expect(fits(b, m)).toBe(true);
      }),
    );
  });

  it('finds the cheapest contiguous cut (padded positions plus a call each), as brute force does', () => {
    fc.assert(
      fc.property(entriesArb(200).map((xs) => xs.slice(0, 9)), fc.integer({ min: 1, max: 12 }), fc.option(fc.integer({ min: 200_000, max: 3_000_000 }), { nil: undefined }), (entries, maxRows, budget) => {
        const m = memory(maxRows, budget ?? Infinity);
        expect(costOf(plan(entries, m))).toBe(bruteForceCost(entries, m));
      }),
    );
  });

  it('keeps items of one length together instead of padding parts of two groups to the longer', () => {
    // Five digit counts x 40 items, as the bench and the lab's default experiment: lengths 18, 15, 12, 9, 6.
    const entries: Entry[] = [18, 15, 12, 9, 6].flatMap((length, g) => Array.from({ length: 40 }, (_, k) => ({ id: g * 40 + k, rows: 1, length, columns: 7 })));
    expect(plan(entries, memory(64)).map((b) => [b.length, b[0].length])).toEqual([
      [40, 18],
      [40, 15],
      [40, 12],
      [40, 9],
      [40, 6],
    ]);
    // In batches of at most 32 no batch mixes lengths where a call costs less than the padding it saves.
    const capped = plan(entries, memory(32));
    expect(capped.every((b) => b.length <= 32)).toBe(true);
    expect(costOf(capped)).toBe(cheapestCutCost(entries, memory(32)));
  });

  it('lets a short tail join a batch when its padding costs less than a call', () => {
    const entries: Entry[] = [...Array.from({ length: 30 }, (_, id) => ({ id, rows: 1, length: 10, columns: 3 })), { id: 30, rows: 1, length: 9, columns: 3 }];
    expect(plan(entries, memory(64))).toHaveLength(1);
    // ...and not when it would pad many rows by much.
    const far: Entry[] = [...Array.from({ length: 30 }, (_, id) => ({ id, rows: 1, length: 100, columns: 3 })), ...Array.from({ length: 30 }, (_, k) => ({ id: 30 + k, rows: 1, length: 5, columns: 3 }))];
    expect(plan(far, memory(64)).map((b) => b.length)).toEqual([30, 30]);
  });

  it('gives an entry that alone exceeds the caps a batch of its own', () => {
    const entries: Entry[] = [
      { id: 0, rows: 9, length: 5, columns: 2 },
      { id: 1, rows: 1, length: 5, columns: 2 },
    ];
    expect(plan(entries, memory(4)).map((b) => b.map((e) => e.id))).toEqual([[0], [1]]);
    expect(plan([], memory(4))).toEqual([]);
  });
});

describe('activations in the plan', () => {
  // A 2 x 256 model with GPT-2's vocabulary, as bench/memory.bench.ts: ~40 KB of activations per column.
  const model = (budgetBytes: number, maxRows = 32): MemoryModel => ({
    vocab: 50257,
    kvBytesPerToken: 4096,
    activationBytesPerColumn: (2 * 1024 + 4 * 256) * 4,
    attentionBytesPerPair: 3 * 4 * 4,
    budgetBytes,
    maxRows,
    scoredOnly: true,
  });

  it('counts each column a call runs and each key it attends to', () => {
    const m = model(Infinity);
    const without = { ...m, activationBytesPerColumn: 0, attentionBytesPerPair: 0 };
    expect(callBytes(2, 5, 100, m, 100) - callBytes(2, 5, 100, without, 100)).toBe(2 * 100 * ACTIVATION_PEAK_FACTOR * (12288 + 100 * 48));
    // By default a call runs just the columns that hold logits.
    expect(callBytes(3, 4, 50, m)).toBe(callBytes(3, 4, 50, m, 4));
  });

  it('plans batches whose whole rows run in one call, so calls never split a planned row', () => {
    fc.assert(
      fc.property(entriesArb(300), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 256 }), (entries, maxRows, budgetMiB) => {
        const m = model(budgetMiB * 2 ** 20, maxRows);
        for (const b of plan(entries, m)) {
          const length = Math.max(...b.map((e) => e.length));
          const width = columnsPerCall(rowsOf(b), length, m, Math.max(...b.map((e) => e.columns)));
          if (b.length > 1) expect(width).toBe(length);
        }
      }),
    );
  });

  it('gives 8-shot rows of ~240 tokens fewer rows than logits and cache alone would', () => {
    const entries: Entry[] = Array.from({ length: 96 }, (_, id) => ({ id, rows: 1, length: 240, columns: 5 }));
    const counted = model(plannedBudget(128 * 2 ** 20));
    const uncounted = { ...counted, activationBytesPerColumn: 0, attentionBytesPerPair: 0 };
    const widest = (m: MemoryModel) => Math.max(...plan(entries, m).map((b) => b.length));
    expect(widest(uncounted)).toBe(16);
    expect(widest(counted)).toBeLessThan(widest(uncounted));
    for (const b of plan(entries, counted)) expect(callBytes(b.length, 5, 240, counted, 240)).toBeLessThanOrEqual(counted.budgetBytes);
  });
});

describe('activationBytesOfConfig', () => {
  it('reads the width, MLP size and heads of GPT-2 and Llama-style configs', () => {
    // GPT-2 small: 768 wide, MLP 4 x 768 (n_inner null), 12 heads.
    expect(activationBytesOfConfig({ n_embd: 768, n_inner: null, n_head: 12 })).toEqual({ perColumn: (2 * 3072 + 4 * 768) * 4, perPair: 3 * 12 * 4 });
    // Qwen2.5-0.5B: 896 wide, MLP 4,864, 14 heads.
    expect(activationBytesOfConfig({ hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14 })).toEqual({ perColumn: (2 * 4864 + 4 * 896) * 4, perPair: 168 });
    expect(activationBytesOfConfig({ vocab_size: 17 })).toBeUndefined();
    expect(activationBytesOfConfig({ n_embd: 'wide' })).toBeUndefined();
  });
});

describe('columnsPerCall', () => {
  it('returns a width in [1, length] whose call fits the budget (unless one column does not), wider with more budget', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.boolean(),
        (rows, length, scored, budgetBytes, scoredOnly) => {
          const m: MemoryModel = { vocab: 50257, kvBytesPerToken: 1024, activationBytesPerColumn: 4096, attentionBytesPerPair: 12, budgetBytes, maxRows: 64, scoredOnly };
          const w = columnsPerCall(rows, length, m, scored);
          expect(w).toBeGreaterThanOrEqual(1);
          expect(w).toBeLessThanOrEqual(length);
          const logits = scoredOnly ? Math.min(w, scored) : w;
          if (w > 1) expect(callBytes(rows, logits, length, m, w)).toBeLessThanOrEqual(budgetBytes);
          expect(columnsPerCall(rows, length, { ...m, budgetBytes: budgetBytes * 2 }, scored)).toBeGreaterThanOrEqual(w);
        },
      ),
    );
  });
});

/** The cheapest cost over cuts of the sorted entries (quadratic, every cut tried: for inputs too large to enumerate). */
function cheapestCutCost(entries: Entry[], m: MemoryModel): number {
  const sorted = [...entries].sort((x, y) => y.length - x.length || x.id - y.id);
  const best: number[] = [0];
  for (let j = 1; j <= sorted.length; j++) {
    best[j] = Infinity;
    for (let i = 0; i < j; i++) {
      const b = sorted.slice(i, j);
      if (fits(b, m)) best[j] = Math.min(best[j], best[i] + rowsOf(b) * b[0].length + CALL_COST_POSITIONS);
    }
  }
  return best[sorted.length];
}

describe('plannedBudget', () => {
  it('keeps the working-set reserve free, at most half of a budget, and is monotone', () => {
    const MiB = 1024 * 1024;
    expect(plannedBudget(128 * MiB)).toBe(128 * MiB - WORKING_SET_RESERVE_BYTES);
    expect(plannedBudget(32 * MiB)).toBe(16 * MiB);
    expect(plannedBudget(1)).toBe(0.5);
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2 ** 40, noNaN: true }), fc.double({ min: 0, max: 2 ** 30, noNaN: true }), (b, extra) => {
        const p = plannedBudget(b);
        expect(p).toBeGreaterThan(0);
        expect(p).toBeGreaterThanOrEqual(b / 2);
        expect(b - p).toBeLessThanOrEqual(WORKING_SET_RESERVE_BYTES);
        expect(plannedBudget(b + extra)).toBeGreaterThanOrEqual(p);
      }),
      { seed: 11 },
    );
  });
});
