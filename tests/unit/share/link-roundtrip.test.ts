import { describe, expect, it } from 'vitest';
import {
  decodeShareLink,
  encodeShareLink,
  expandSharedItems,
  LinkDecodeError,
  LinkEncodeError,
  LINK_BUDGET_CHARS,
  DEFAULT_BASE_URL_RESERVE,
  sharedItemPrecision,
  type SharedRun,
} from '../../../src/lib/share/index.ts';
import type { GenerationItemRecord, RunResult } from '../../../src/lib/results/types.ts';
import type { GenerationMetricId } from '../../../src/lib/metrics/types.ts';
import { EXACT_ITEM_METRICS } from '../../../src/lib/share/recompute.ts';
import { syntheticRun } from './synthetic-run.ts';
import { fragmentOf, payloadOf, splitPayload, expectLinkDecodeError } from './link-helpers.ts';

const big = syntheticRun(); // 6 models × 5 variants × 40 items
const small = syntheticRun({ models: 2, digits: [2, 3], perVariant: 10 });
const FRAGMENT_BUDGET = LINK_BUDGET_CHARS - DEFAULT_BASE_URL_RESERVE;

function expectHeaderExact(shared: SharedRun, run: RunResult) {
  expect(shared.spec).toEqual(run.spec);
  expect(shared.env).toEqual(run.env);
  expect(shared.models.map(({ aggregates: _, ...meta }) => meta)).toEqual(run.models.map((m) => ({ id: m.id, params: m.params, dtype: m.dtype, device: m.device, status: m.status, error: m.error })));
}

/** Items of the link against the run's, within the precision the link states. */
function expectItemsWithinPrecision(shared: SharedRun, run: RunResult) {
  const steps = shared.items!.logprobSteps;
  const precision = sharedItemPrecision(steps);
  const expanded = expandSharedItems(shared);
  expect(expanded.map((e) => e.modelId)).toEqual(run.models.filter((m) => m.items.length > 0).map((m) => m.id));
  for (const e of expanded) {
    const original = run.models[e.modelIndex].items as GenerationItemRecord[];
    expect(e.items.map((i) => i.id)).toEqual(original.map((i) => i.id));
    e.items.forEach((item, k) => {
      const o = original[k];
      expect(item.variant).toBe(o.variant);
      for (const [id, p] of Object.entries(precision) as [GenerationMetricId, (typeof precision)[GenerationMetricId]][]) {
        const got = item.metrics[id];
        const want = o.metrics[id];
        if (p.exact) {
          expect(got, `${e.modelId} ${o.id} ${id}`).toBe(want);
        } else {
          const bound = id === 'mean_token_logprob' ? p.maxError / o.target_token_ids.length : p.relative ? p.maxError * (want as number) : p.maxError;
          expect(Math.abs((got as number) - (want as number)), `${e.modelId} ${o.id} ${id}`).toBeLessThanOrEqual(bound * (1 + 1e-9) + 1e-15);
        }
      }
    });
  }
}

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('share link round trip', { timeout: 120_000 }, () => {
  it('small run: exact aggregates, emergence and items at 1/256 nat', () => {
    const link = encodeShareLink(small);
    expect(link).toMatchObject({ includesItems: true, precision: 'exact', logprobSteps: 256 });
    expect(link.fragment.startsWith('#r3.')).toBe(true);
    expect(link.bytes).toBe(link.fragment.length);
    const shared = decodeShareLink(link.fragment);
    expectHeaderExact(shared, small);
    expect(shared.models.map((m) => m.aggregates)).toEqual(small.models.map((m) => m.aggregates));
    expect(shared.emergence).toEqual(small.emergence);
    expectItemsWithinPrecision(shared, small);
  });

  it('aggregates are bit-exact (Object.is on every number)', () => {
    const shared = decodeShareLink(encodeShareLink(big, { items: false }).fragment);
    big.models.forEach((m, i) => {
      m.aggregates.variants.forEach((a, j) => {
        const b = shared.models[i].aggregates.variants[j];
        expect(b.variant).toBe(a.variant);
        expect(b.n).toBe(a.n);
        for (const [id, c] of Object.entries(a.metrics)) {
          for (const k of ['mean', 'lo', 'hi', 'n'] as const) expect(Object.is(b.metrics[id][k], c[k]), `${m.id} ${a.variant} ${id}.${k}`).toBe(true);
        }
      });
    });
    expect(shared.emergence).toEqual(big.emergence);
  });

  it('6 models × 5 variants × 40 items: aggregates-only link is exact and within budget', () => {
    const link = encodeShareLink(big, { items: false });
    expect(link).toMatchObject({ includesItems: false, precision: 'exact', logprobSteps: null });
    expect(link.bytes).toBeLessThanOrEqual(FRAGMENT_BUDGET);
    console.info(`6×5×40 aggregates only: ${link.bytes} characters`);
  });

  it('6 models × 5 variants × 40 items: fits the 8,000-character budget WITH per-item results and exact aggregates', () => {
    const link = encodeShareLink(big);
    console.info(`synthetic 6×5×40 with items: ${link.bytes} characters, ${link.precision} aggregates, log-probs in 1/${link.logprobSteps} nat`);
    expect(link).toMatchObject({ includesItems: true, precision: 'exact' });
    expect(link.bytes).toBeLessThanOrEqual(FRAGMENT_BUDGET);
    const shared = decodeShareLink(link.fragment);
    expectHeaderExact(shared, big);
    expectItemsWithinPrecision(shared, big);
    expect(shared.models.map((m) => m.aggregates)).toEqual(big.models.map((m) => m.aggregates));
    expect(shared.emergence).toEqual(big.emergence);
  });

  it('float32 aggregates (a tighter budget): fractions and recomputed cells exact, others within one float32 step, intervals only widen', () => {
    const exactItems = encodeShareLink(big, { maxChars: 1e6 });
    let link = encodeShareLink(big, { maxChars: exactItems.bytes - 1, baseUrl: '' });
    // Budgets down to where exact aggregates with the coarsest items no longer fit.
    while (link.precision === 'exact') link = encodeShareLink(big, { maxChars: link.bytes - 1, baseUrl: '' });
    expect(link).toMatchObject({ includesItems: true, precision: 'float32' });
    const shared = decodeShareLink(link.fragment);
    expectItemsWithinPrecision(shared, big);
    big.models.forEach((m, i) =>
      m.aggregates.variants.forEach((a, j) => {
        for (const [id, c] of Object.entries(a.metrics)) {
          const d = shared.models[i].aggregates.variants[j].metrics[id];
          expect(d.n).toBe(c.n);
          for (const k of ['mean', 'lo', 'hi'] as const) expect(Math.abs(d[k] - c[k])).toBeLessThanOrEqual(Math.abs(c[k]) * 2 ** -23 + 1e-45);
          expect(d.lo).toBeLessThanOrEqual(c.lo);
          expect(d.hi).toBeGreaterThanOrEqual(c.hi);
          if (Number.isInteger(c.mean * c.n)) expect(d.mean).toBe(c.mean);
          // Recomputed from exactly stored item values: the sender's doubles even in float32 links.
          if ((EXACT_ITEM_METRICS as readonly string[]).includes(id)) expect(d).toEqual(c);
        }
      }),
    );
  });

  it('a long base URL or a small budget makes items coarser, then drops them, then refuses', () => {
    const exactItems = encodeShareLink(big, { maxChars: 1e6 });
    expect(exactItems).toMatchObject({ includesItems: true, precision: 'exact', logprobSteps: 256 });
    // One character less: still items, but coarser log-probs or float32 aggregates.
    const coarser = encodeShareLink(big, { maxChars: exactItems.bytes - 1, baseUrl: '' });
    expect(coarser.includesItems).toBe(true);
    expect(coarser.logprobSteps !== 256 || coarser.precision === 'float32').toBe(true);
    expect(coarser.bytes).toBeLessThan(exactItems.bytes);
    // 100 items per variant: per-item results never fit, the exact aggregates do.
    const many = syntheticRun({ perVariant: 100 });
    const noItems = encodeShareLink(many);
    expect(noItems).toMatchObject({ includesItems: false, precision: 'exact', logprobSteps: null });
    expect(decodeShareLink(noItems.fragment).models.map((m) => m.aggregates)).toEqual(many.models.map((m) => m.aggregates));
    let err: unknown;
    try {
      encodeShareLink(big, { maxChars: 1000, baseUrl: 'https://example.org/lab/' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkEncodeError);
    expect(err).toMatchObject({ code: 'too-long', limit: 1000 - 'https://example.org/lab/'.length });
    expect((err as LinkEncodeError).message).toMatch(/JSON file/);
  });

  it('the base URL counts against the budget', () => {
    const link = encodeShareLink(small, { baseUrl: 'https://lab.example/' });
    expect(link.budget).toBe(LINK_BUDGET_CHARS - 'https://lab.example/'.length);
  });

  it('partial models (cancelled mid-run) keep exactly their items', () => {
    const run = structuredClone(small);
    run.models[1] = { ...run.models[1], status: 'cancelled', error: 'The run was cancelled.', items: run.models[1].items.filter((_, i) => i % 3 === 0), aggregates: { variants: [] } };
    const shared = decodeShareLink(encodeShareLink(run).fragment);
    expect(shared.models[1]).toMatchObject({ status: 'cancelled', error: 'The run was cancelled.', aggregates: { variants: [] } });
    expectItemsWithinPrecision(shared, run);
  });

  it('a model without items and irregular item ids still round-trip', () => {
    const run = structuredClone(small);
    run.models[0].items = run.models[0].items.map((it, i) => ({ ...it, id: i % 2 ? `odd.${i}x` : `item-${i * 7}` }));
    run.models[1].items = [];
    const shared = decodeShareLink(encodeShareLink(run).fragment);
    expect(shared.items!.models[1]).toBeNull();
    expectItemsWithinPrecision(shared, run);
  });

  it('accepts the fragment with or without "#", inside a whole URL, with whitespace', () => {
    const { fragment } = encodeShareLink(small);
    const want = decodeShareLink(fragment);
    expect(decodeShareLink(fragment.slice(1))).toEqual(want);
    expect(decodeShareLink(`  https://lab.example/app/?x=1${fragment}\n`)).toEqual(want);
  });

  it('item ids the link cannot carry: an aggregates-only link instead, said so', () => {
    const run = structuredClone(small);
    run.models[0].items[0].id = 'has a space';
    expect(encodeShareLink(run)).toMatchObject({ includesItems: false, precision: 'exact' });
  });

  it('refuses to make a link of an invalid run (a NaN would make a link nobody can open)', () => {
    const run = structuredClone(small);
    run.models[0].aggregates.variants[0].metrics.exact_match.mean = Number.NaN;
    expect(() => encodeShareLink(run, { items: false })).toThrow(LinkEncodeError);
  });
});

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('share link versions and refusals', { timeout: 120_000 }, () => {
  const expectCode = (f: () => unknown, code: string, message?: RegExp) => expectLinkDecodeError(f, code, { message });
  const { fragment } = encodeShareLink(small);

  it('a future link format says "newer version"', () => {
    expectCode(() => decodeShareLink('#r4.' + fragment.slice(4)), 'newer-version', /newer version/);
  });
  it('a future spec version inside the payload says "newer version"', () => {
    const { header, rest } = splitPayload(payloadOf(fragment));
    const h = JSON.parse(header);
    h.spec.version = 2;
    expectCode(() => decodeShareLink(fragmentOf(JSON.stringify(h), rest)), 'newer-version', /newer version/);
  });
  it('not a link', () => {
    for (const s of ['', '#', 'hello', '#r1', '#r1.!!', '#x1.abc', '#r0.abc']) expectCode(() => decodeShareLink(s), s === '#r1.!!' ? 'not-a-link' : 'not-a-link');
  });
  it('cut off anywhere: damaged, never a crash', () => {
    for (let n = 5; n < fragment.length; n += 7) {
      expectCode(() => decodeShareLink(fragment.slice(0, n)), 'damaged', /cut off or changed/);
    }
  });
  it('one changed character: damaged', () => {
    const i = Math.floor(fragment.length / 2);
    const changed = fragment.slice(0, i) + (fragment[i] === 'A' ? 'B' : 'A') + fragment.slice(i + 1);
    expectCode(() => decodeShareLink(changed), 'damaged');
  });
  it('too long a fragment is refused before decoding', () => {
    expectCode(() => decodeShareLink('#r1.' + 'A'.repeat(20_000)), 'too-large');
  });
  it('a header that breaks the schema: invalid, with the field named', () => {
    const { header, rest } = splitPayload(payloadOf(fragment));
    const h = JSON.parse(header);
    h.models[0].params = 'many';
    expectCode(() => decodeShareLink(fragmentOf(JSON.stringify(h), rest)), 'invalid', /models\.0\.params/);
  });
});
