import { describe, expect, it } from 'vitest';
import { computeEmergence } from '../../../src/lib/results/emergence.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import type { GenerationItemRecord, ItemRecord, ModelRun, RunResult } from '../../../src/lib/results/types.ts';
import { decodeShareLink, encodeShareLink } from '../../../src/lib/share/index.ts';
import { sharedRunToView } from '../../../src/lib/share/shared-view.ts';
import { generateArithmeticItems } from '../../../src/lib/tasks/arithmetic.ts';
import { scoredItem, SPEC } from '../charts/fixtures.ts';

/** A run over the spec's real items: model k answers item i right when (i + k) % 3 !== 0. */
function realRun(): RunResult {
  const items = generateArithmeticItems(SPEC.task as Extract<typeof SPEC.task, { kind: 'arithmetic' }>);
  const models: ModelRun[] = SPEC.models.map((ref, k) => {
    const records: ItemRecord[] = items.map((it, i) => scoredItem(it, (i + k) % 3 !== 0, -0.1 * ((i % 7) + 1)));
    return { id: ref.id, params: 1000 * (k + 1), dtype: 'fp32', device: 'wasm', status: 'done', error: null, loadMs: 1, scoreMs: 2, items: records, aggregates: { variants: aggregateModelItems(records, { seed: SPEC.bootstrapSeed, model: ref.id }) } };
  });
  return {
    format: 'emergence-lab/run',
    version: 1,
    spec: SPEC,
    env: { app: '0.1.0', runtime: 'node v20', backend: 'cpu', adapter: null, transformersVersion: '4.3.2', startedAt: '2026-11-28T08:00:00Z', finishedAt: '2026-11-28T08:01:00Z' },
    models,
    emergence: computeEmergence(models),
  };
}

describe('sharedRunToView', () => {
  it('shows the sender’s aggregates and emergence unchanged, with prompts and targets regenerated', () => {
    const run = realRun();
    const shared = decodeShareLink(encodeShareLink(run).fragment);
    const view = sharedRunToView(shared);
    expect(view.spec).toEqual(run.spec);
    expect(view.env).toEqual(run.env);
    expect(view.emergence).toEqual(run.emergence);
    view.models.forEach((m, i) => {
      const o = run.models[i];
      expect([m.id, m.params, m.dtype, m.status]).toEqual([o.id, o.params, o.dtype, o.status]);
      expect(m.aggregates).toEqual(o.aggregates);
      expect(m.items.map((it) => [it.id, it.variant, it.prompt, it.target, it.meta])).toEqual(o.items.map((it) => [it.id, it.variant, it.prompt, it.target, it.meta]));
      const gen = (list: ItemRecord[]) => list as GenerationItemRecord[];
      expect(gen(m.items).map((it) => it.metrics.exact_match)).toEqual(gen(o.items).map((it) => it.metrics.exact_match));
      expect(gen(m.items).every((it) => it.output_text === '' && it.output_token_ids.length === 0)).toBe(true);
    });
  });

  it('an aggregates-only link gives models without items', () => {
    const run = realRun();
    const shared = decodeShareLink(encodeShareLink(run, { items: false }).fragment);
    const view = sharedRunToView(shared);
    expect(view.models.every((m) => m.items.length === 0)).toBe(true);
    expect(view.models.map((m) => m.aggregates)).toEqual(run.models.map((m) => m.aggregates));
  });
});
