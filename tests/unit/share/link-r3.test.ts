/**
 * Link format r3: aggregates with the standard intervals (Wilson / BCa ∪ t, model in the seed)
 * recomputed by the decoder, emergence measures stored or recomputed from items, every number
 * of the measures range-checked.
 */
import { describe, expect, it } from 'vitest';
import { computeEmergenceMeasures } from '../../../src/lib/results/emergence.ts';
import { aggregateModelItems } from '../../../src/lib/results/records.ts';
import { decodeShareLink, encodeShareLink, expandSharedItems } from '../../../src/lib/share/index.ts';
import { sameMeasures } from '../../../src/lib/share/measures.ts';
import { expectLinkDecodeError, fragmentOf, payloadOf, splitPayload } from './link-helpers.ts';
import { syntheticRun } from './synthetic-run.ts';

const run = syntheticRun({ models: 4, digits: [2, 3], perVariant: 12 });

describe('r3 links', { timeout: 120_000 }, () => {
  it('recompute the standard aggregates (model in the seed) bit for bit and carry the measures', () => {
    const link = encodeShareLink(run);
    expect(link.fragment.startsWith('#r3.')).toBe(true);
    expect(link.includesItems).toBe(true);
    const shared = decodeShareLink(link.fragment);
    expect(shared.intervals).toBe('standard');
    run.models.forEach((m, i) => {
      expect(shared.models[i].aggregates).toEqual(m.aggregates);
      // The models' seeds differ: same metric, same n, different interval draws.
      expect(aggregateModelItems(m.items, { seed: run.spec.bootstrapSeed, model: m.id })).toEqual(m.aggregates.variants);
    });
    expect(shared.emergenceMeasures).toBeDefined();
    expect(sameMeasures(shared.emergenceMeasures, run.emergence_measures)).toBe(true);
    const em = shared.emergenceMeasures!['add/3d'];
    expect(em.reference).toBe('exact_match');
    expect(Object.keys(em.mirage).sort()).toEqual(['char_edit_distance', 'digit_accuracy', 'mean_token_logprob', 'per_token_prob', 'predicted_exact_match', 'target_logprob', 'token_edit_distance']);
  });

  it('measures the items reproduce are recomputed ("recompute" in the header), others stored', () => {
    const { header } = splitPayload(payloadOf(encodeShareLink(run).fragment));
    const h = JSON.parse(header);
    // Synthetic log-probs are not multiples of 1/256 nat: log-prob measures differ, so they are stored.
    expect(h.intervals).toBe('standard');
    expect(typeof h.measures).toBe('object');
    // A run whose items are what the link holds (log-probs on the link's grid) gets "recompute".
    const shared = decodeShareLink(encodeShareLink(run).fragment);
    const onGrid = structuredClone(run);
    const expanded = expandSharedItems(shared);
    onGrid.models.forEach((m, i) => m.items.forEach((it, k) => Object.assign(it.metrics, expanded[i].items[k].metrics)));
    const fromLink = { ...onGrid, emergence_measures: computeEmergenceMeasures(onGrid.models, run.spec.bootstrapSeed) };
    const h2 = JSON.parse(splitPayload(payloadOf(encodeShareLink(fromLink).fragment)).header);
    expect(h2.measures).toBe('recompute');
    expect(sameMeasures(decodeShareLink(encodeShareLink(fromLink).fragment).emergenceMeasures, fromLink.emergence_measures)).toBe(true);
  });

  it('range-checks stored measures and refuses them in older formats', () => {
    const { header, rest } = splitPayload(payloadOf(encodeShareLink(run).fragment));
    const h = JSON.parse(header);
    const variant = Object.keys(h.measures)[0];
    const bad = structuredClone(h);
    bad.measures[variant].metrics.exact_match.jumpShare = { value: 1.5, lo: 1, hi: 2, step: 1, delta: 0.5 };
    expectLinkDecodeError(() => decodeShareLink(fragmentOf(JSON.stringify(bad), rest)), 'invalid');
    const sentinel = structuredClone(h);
    sentinel.measures[variant].metrics.exact_match.breakthroughness = { value: 1e12, lo: 1e12, hi: 1e12 };
    expectLinkDecodeError(() => decodeShareLink(fragmentOf(JSON.stringify(sentinel), rest)), 'invalid');
    const flipped = structuredClone(h);
    flipped.measures[variant].metrics.exact_match.breakthroughness = { value: 2, lo: 3, hi: 4 };
    expectLinkDecodeError(() => decodeShareLink(fragmentOf(JSON.stringify(flipped), rest)), 'invalid');
    // The same header under the r2 envelope: r2 has no measures and no interval method.
    expectLinkDecodeError(() => decodeShareLink(fragmentOf(header, rest, '#r2.')), 'damaged');
  });

  it('a run from before issue 12 (legacy intervals) shares as r3 and replays the legacy method', () => {
    const legacy = syntheticRun({ models: 3, digits: [2], perVariant: 10, intervals: 'legacy-percentile' });
    const link = encodeShareLink(legacy);
    expect(link.recomputed).toBeGreaterThan(0);
    const shared = decodeShareLink(link.fragment);
    expect(shared.intervals).toBe('legacy-percentile');
    expect(shared.emergenceMeasures).toBeUndefined();
    legacy.models.forEach((m, i) => expect(shared.models[i].aggregates).toEqual(m.aggregates));
  });
});
