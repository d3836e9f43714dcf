import { describe, expect, it } from 'vitest';
import { approxLadderBytes, evidenceOf, findHubModel, HUB_CATALOG, hubLadder, hubLadderRefs, paramsOfHub, parseHubCatalog } from '../../../src/lib/catalog/hub-catalog.ts';
import type { Dtype } from '../../../src/lib/spec/schema.ts';
import { PUBLISHED_LISTINGS } from './fixtures/hub-listings.ts';
import catalogJson from '../../../src/lib/catalog/hub-ladders.json';
import { CatalogError } from '../../../src/lib/catalog/ladder.ts';
import { estimateParams, summarizeConfig } from '../../../src/lib/hub/architectures.ts';
import { UnsupportedArchitectureError } from '../../../src/lib/hub/errors.ts';
import { ModelRefSchema } from '../../../src/lib/spec/schema.ts';
import * as v from 'valibot';

describe('the Hub catalog', () => {
  it('loads validated and says it was not checked live', () => {
    expect(HUB_CATALOG.checkedLive).toBe(false);
    expect(HUB_CATALOG.ladders.map((l) => l.id)).toEqual(['pythia', 'gpt2', 'smollm', 'smollm2-instruct', 'qwen2.5-instruct', 'llama3.2-instruct', 'gemma3-instruct']);
    expect(findHubModel('Xenova/gpt2-medium')?.model.survey).toBe('guess');
    for (const l of HUB_CATALOG.ladders) {
      expect(['qa', 'math-expr']).toContain(l.template);
      for (const m of l.models) for (const d of m.dtypes) expect(m.approxMB[d]).toBeGreaterThan(0);
    }
  });

  it('gives parameter counts, refs the spec accepts, and approximate sizes', () => {
    expect(paramsOfHub('Xenova/pythia-70m')).toBe(HUB_CATALOG.ladders[0].models[2].params);
    expect(paramsOfHub('nobody/nothing')).toBeNull();
    const pythia = hubLadder('pythia')!;
    const refs = hubLadderRefs(pythia, 'webgpu', 'q4');
    expect(refs.map((r) => r.id)).toEqual(pythia.models.map((m) => m.repoId));
    for (const r of refs) expect(v.safeParse(ModelRefSchema, r).success).toBe(true);
    expect(refs.every((r) => r.revision === null && r.source === 'hub')).toBe(true);
    expect(approxLadderBytes(pythia, 'q8')).toBe(pythia.models.reduce((s, m) => s + m.approxMB.q8! * 1e6, 0));
    expect(approxLadderBytes(pythia, 'bnb4')).toBeNull();
    expect(hubLadder('nope')).toBeNull();
  });

  const broken = (patch: (c: any) => void) => {
    const c = structuredClone(catalogJson) as any;
    patch(c);
    return () => parseHubCatalog(c);
  };
  it.each([
    ['a bad repo id', (c: any) => (c.ladders[0].models[0].repoId = 'pythia-14m'), /repoId: is not a valid Hub repository id/],
    ['models out of order', (c: any) => c.ladders[0].models.reverse(), /ordered by parameter count/],
    ['the bundled template', (c: any) => (c.ladders[0].template = 'arith-plain'), /template/],
    ['an unknown architecture', (c: any) => (c.ladders[0].architecture = 'bert'), /architecture is not one the engine supports/],
    ['a size for an unlisted dtype', (c: any) => (c.ladders[0].models[0].approxMB.bnb4 = 1), /approxMB lists a dtype/],
    ['a repo in two ladders', (c: any) => c.ladders[1].models.push(c.ladders[0].models[0]), /two ladders|ordered/],
    ['an unknown dtype', (c: any) => c.ladders[0].models[0].dtypes.push('int4'), /dtypes/],
  ])('refuses %s', (_what, patch, msg) => {
    expect(broken(patch)).toThrow(CatalogError);
    expect(broken(patch)).toThrow(msg);
  });
});

describe('the catalog against the published listings (FACTS.md)', () => {
  const models = HUB_CATALOG.ladders.flatMap((l) => l.models.map((m) => ({ ladder: l, m })));

  it('every model a listing evidences is marked "listing"; no other model claims listed facts', () => {
    for (const { m } of models) {
      const listing = PUBLISHED_LISTINGS[m.repoId];
      if (listing && (listing.sizes || listing.dtypes || listing.external)) expect([m.repoId, m.survey]).toEqual([m.repoId, 'listing']);
      if (m.survey !== 'listing') expect([m.repoId, m.sizesListed, m.dtypesListed]).toEqual([m.repoId, [], false]);
    }
  });

  it('sizes, dtypes and external data agree with the listings', () => {
    for (const { m } of models) {
      const listing = PUBLISHED_LISTINGS[m.repoId];
      if (!listing) continue;
      for (const [dtype, mb] of Object.entries(listing.sizes ?? {})) {
        expect([m.repoId, dtype, m.approxMB[dtype as Dtype]]).toEqual([m.repoId, dtype, mb]);
        expect(m.sizesListed).toContain(dtype);
      }
      for (const d of m.sizesListed) expect([m.repoId, d, listing.sizes?.[d]]).toEqual([m.repoId, d, m.approxMB[d]]);
      if (listing.dtypes) {
        expect([m.repoId, [...m.dtypes].sort()]).toEqual([m.repoId, [...listing.dtypes].sort()]);
        expect(m.dtypesListed).toBe(true);
      }
      for (const d of listing.absent ?? []) expect(m.dtypes).not.toContain(d);
      if (listing.external) expect([m.repoId, [...(m.externalData ?? [])].sort()]).toEqual([m.repoId, [...listing.external].filter((d) => m.dtypes.includes(d)).sort()]);
    }
  });

  it('offers no repository whose listing shows only the legacy layout, and names the evidence in words', () => {
    for (const { m } of models) expect(PUBLISHED_LISTINGS[m.repoId]?.legacyOnly ?? false).toBe(false);
    expect(evidenceOf(findHubModel('Xenova/gpt2')!.model)).toBe('published file listing (sizes of fp32, q4)');
    expect(evidenceOf(findHubModel('HuggingFaceTB/SmolLM-135M')!.model)).toBe('published file listing (dtypes)');
    expect(evidenceOf(findHubModel('Xenova/gpt2-medium')!.model)).toMatch(/not evidenced/);
  });

  it('base and instruct ladders are told apart, and training tokens are given where published', () => {
    expect(HUB_CATALOG.ladders.filter((l) => l.kind === 'base').map((l) => l.id)).toEqual(['pythia', 'gpt2', 'smollm']);
    expect(hubLadder('gemma3-instruct')!.architecture).toBe('gemma3_text');
    for (const id of ['pythia', 'smollm', 'smollm2-instruct', 'qwen2.5-instruct', 'llama3.2-instruct', 'gemma3-instruct']) {
      for (const m of hubLadder(id)!.models) expect([m.repoId, (m.trainingTokens ?? 0) > 1e10]).toEqual([m.repoId, true]);
    }
  });

  it('refuses listed claims on an entry that no listing evidences', () => {
    const c = structuredClone(catalogJson) as any;
    c.ladders[0].models[1].sizesListed = ['q4'];
    expect(() => parseHubCatalog(c)).toThrow(/only an entry evidenced by a listing/);
  });
});

describe('config.json', () => {
  // Dimensions from the models' public configs; the counts are the catalog's.
  const configs: [string, Record<string, unknown>][] = [
    ['Xenova/pythia-70m', { model_type: 'gpt_neox', vocab_size: 50304, hidden_size: 512, num_hidden_layers: 6, num_attention_heads: 8, intermediate_size: 2048, tie_word_embeddings: false }],
    ['Xenova/pythia-410m', { model_type: 'gpt_neox', vocab_size: 50304, hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, tie_word_embeddings: false }],
    ['Xenova/gpt2', { model_type: 'gpt2', vocab_size: 50257, n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024 }],
    ['HuggingFaceTB/SmolLM-135M', { model_type: 'llama', vocab_size: 49152, hidden_size: 576, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, intermediate_size: 1536, tie_word_embeddings: true }],
    ['onnx-community/Qwen2.5-0.5B-Instruct', { model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, intermediate_size: 4864, tie_word_embeddings: true }],
    ['onnx-community/Llama-3.2-1B-Instruct', { model_type: 'llama', vocab_size: 128256, hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, head_dim: 64, intermediate_size: 8192, tie_word_embeddings: true }],
  ];
  it.each(configs)('estimates %s within 0.5%% of its stated size', (repoId, cfg) => {
    const est = estimateParams(cfg)!;
    const stated = paramsOfHub(repoId)!;
    expect(Math.abs(est - stated) / stated).toBeLessThan(0.005);
  });

  it('summarizes supported models and refuses others', () => {
    const s = summarizeConfig('a/b', { ...configs[0][1], 'transformers.js_config': { use_external_data_format: { 'model.onnx': 2 } } });
    expect(s).toMatchObject({ modelType: 'gpt_neox', paramsEstimated: true, layers: 6, hiddenSize: 512, externalData: { 'model.onnx': 2 } });
    expect(summarizeConfig('a/b', { ...configs[0][1], num_parameters: 123 })).toMatchObject({ params: 123, paramsEstimated: false });
    expect(summarizeConfig('a/b', { model_type: 'llama' }).params).toBeNull();
    expect(() => summarizeConfig('a/b', { model_type: 'bert' })).toThrow(UnsupportedArchitectureError);
    expect(() => summarizeConfig('a/b', { model_type: 'bert' })).toThrow(/^a\/b: architecture "bert"/);
    expect(() => summarizeConfig('a/b', {})).toThrow(/no model_type/);
    expect(() => summarizeConfig('a/b', [])).toThrow(UnsupportedArchitectureError);
  });
});
