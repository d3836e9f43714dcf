/**
 * Hub model ladders as data (hub-ladders.json), validated with valibot when this module loads.
 * Nothing in the file was checked live; entries say what evidences them (a published file
 * listing, the survey, or nothing), and every repository is listed (planDownload) before use.
 */
import * as v from 'valibot';
import { isSupportedArchitecture } from '../hub/architectures.ts';
import { InvalidRepoIdError } from '../hub/errors.ts';
import { validateRepoId } from '../hub/repo.ts';
import { DTYPES, type Device, type Dtype, type ModelRef, type TemplateId } from '../spec/schema.ts';
import catalogData from './hub-ladders.json';
import { CatalogError } from './ladder.ts';

/** Prompt templates meant for pretrained models (the bundled ladder's "arith-plain" is not one). */
export const HUB_TEMPLATE_IDS = ['qa', 'math-expr'] as const satisfies readonly TemplateId[];

const RepoId = v.pipe(
  v.string(),
  v.check((id) => {
    try {
      validateRepoId(id);
      return true;
    } catch (err) {
      if (err instanceof InvalidRepoIdError) return false;
      throw err;
    }
  }, 'is not a valid Hub repository id ("owner/name")'),
);

/** What evidences a catalog entry (see the catalog's note). */
export const CATALOG_EVIDENCE = ['listing', 'facts', 'guess', 'checked'] as const;

const HubModelSchema = v.pipe(
  v.object({
    repoId: RepoId,
    label: v.pipe(v.string(), v.minLength(1), v.maxLength(60)),
    params: v.pipe(v.number(), v.integer(), v.minValue(1)),
    /**
     * "listing": the repository's published file listing was read (FACTS.md); "facts": named in the
     * survey only; "guess": not even surveyed; "checked": fetched live. None was checked live here.
     */
    survey: v.picklist(CATALOG_EVIDENCE),
    /** Dtypes the repository has (complete when dtypesListed; otherwise what such exports usually have). */
    dtypes: v.pipe(v.array(v.picklist(DTYPES)), v.minLength(1)),
    /** The dtype list is the published listing's, complete. */
    dtypesListed: v.optional(v.boolean(), false),
    /** Download size per dtype (.onnx plus external data), in MB (10^6 bytes). */
    approxMB: v.record(v.picklist(DTYPES), v.pipe(v.number(), v.minValue(0))),
    /** Dtypes whose approxMB is the published size, not an estimate. */
    sizesListed: v.optional(v.array(v.picklist(DTYPES)), []),
    /** Dtypes whose weights come as .onnx + .onnx_data (external data) per the listing. */
    externalData: v.optional(v.array(v.picklist(DTYPES))),
    /** Training tokens from the model card (the compute axis: ~6 × params × tokens FLOPs). */
    trainingTokens: v.optional(v.pipe(v.number(), v.minValue(1))),
    note: v.optional(v.pipe(v.string(), v.maxLength(300))),
  }),
  v.check((m) => Object.keys(m.approxMB).every((d) => m.dtypes.includes(d as Dtype)), 'approxMB lists a dtype that is not in dtypes'),
  v.check((m) => m.dtypes.every((d) => m.approxMB[d] !== undefined), 'every dtype needs an approxMB size'),
  v.check((m) => m.sizesListed.every((d) => m.dtypes.includes(d)) && (m.externalData ?? []).every((d) => m.dtypes.includes(d)), 'sizesListed and externalData may only name dtypes in dtypes'),
  v.check((m) => m.survey === 'listing' || m.survey === 'checked' || (m.sizesListed.length === 0 && !m.dtypesListed), 'only an entry evidenced by a listing may claim listed sizes or dtypes'),
);

const HubLadderSchema = v.pipe(
  v.object({
    id: v.pipe(v.string(), v.regex(/^[a-z0-9][a-z0-9.-]*$/, 'ladder id must be lowercase letters, digits, "-" or "."')),
    name: v.string(),
    family: v.string(),
    architecture: v.pipe(v.string(), v.check(isSupportedArchitecture, 'architecture is not one the engine supports')),
    kind: v.picklist(['base', 'instruct']),
    template: v.picklist(HUB_TEMPLATE_IDS),
    /** Why this ladder, and what to watch for (dtype pitfalls, external data, base vs instruct). */
    notes: v.optional(v.string()),
    models: v.pipe(v.array(HubModelSchema), v.minLength(1)),
  }),
  v.check((l) => l.models.every((m, i) => i === 0 || l.models[i - 1].params < m.params), 'models must be ordered by parameter count'),
);

const HubCatalogSchema = v.pipe(
  v.object({
    format: v.literal('emergence-lab/hub-catalog'),
    version: v.literal(1),
    /** False: the ids were never fetched from the Hub by this project. */
    checkedLive: v.boolean(),
    note: v.string(),
    ladders: v.pipe(v.array(HubLadderSchema), v.minLength(1)),
  }),
  v.check((c) => new Set(c.ladders.map((l) => l.id)).size === c.ladders.length, 'ladder ids must be unique'),
  v.check((c) => {
    const ids = c.ladders.flatMap((l) => l.models.map((m) => m.repoId));
    return new Set(ids).size === ids.length;
  }, 'a repository appears in two ladders'),
);

export type HubCatalog = v.InferOutput<typeof HubCatalogSchema>;
export type HubLadder = v.InferOutput<typeof HubLadderSchema>;
export type HubCatalogModel = v.InferOutput<typeof HubModelSchema>;

/** Validate catalog data; throws CatalogError naming the first problems. */
export function parseHubCatalog(input: unknown): HubCatalog {
  const r = v.safeParse(HubCatalogSchema, input);
  if (!r.success) {
    throw new CatalogError(`The Hub model catalog is invalid: ${r.issues.slice(0, 3).map((i) => `${v.getDotPath(i) ?? '(root)'}: ${i.message}`).join('; ')}`);
  }
  return r.output;
}

/** The catalog shipped with the app, validated at load. */
export const HUB_CATALOG: HubCatalog = parseHubCatalog(catalogData);

export function hubLadder(id: string, catalog: HubCatalog = HUB_CATALOG): HubLadder | null {
  return catalog.ladders.find((l) => l.id === id) ?? null;
}

export function findHubModel(repoId: string, catalog: HubCatalog = HUB_CATALOG): { ladder: HubLadder; model: HubCatalogModel } | null {
  for (const ladder of catalog.ladders) {
    const model = ladder.models.find((m) => m.repoId === repoId);
    if (model) return { ladder, model };
  }
  return null;
}

/** Parameter count of a catalog model, or null for a repository the catalog does not list. */
export function paramsOfHub(repoId: string, catalog: HubCatalog = HUB_CATALOG): number | null {
  return findHubModel(repoId, catalog)?.model.params ?? null;
}

/**
 * Refs for a ladder's models (smallest first), unpinned: planDownload resolves each revision to
 * its commit and checks that the dtype exists. Pass one dtype for all, or a function per model.
 */
export function hubLadderRefs(ladder: HubLadder, device: Device, dtype: Dtype | ((m: HubCatalogModel) => Dtype)): ModelRef[] {
  return ladder.models.map((m) => ({ id: m.repoId, source: 'hub', revision: null, dtype: typeof dtype === 'function' ? dtype(m) : dtype, device }));
}

/** Approximate download of a ladder at one dtype, in bytes (null when a model lacks an estimate). */
export function approxLadderBytes(ladder: HubLadder, dtype: Dtype): number | null {
  let total = 0;
  for (const m of ladder.models) {
    const mb = m.approxMB[dtype];
    if (mb === undefined) return null;
    total += mb * 1e6;
  }
  return total;
}

/** How a catalog model's facts are known, in words for the UI. */
export function evidenceOf(m: HubCatalogModel): string {
  switch (m.survey) {
    case 'listing':
      return m.sizesListed.length > 0 || m.dtypesListed
        ? `published file listing (${[m.dtypesListed ? 'dtypes' : null, m.sizesListed.length ? `sizes of ${m.sizesListed.join(', ')}` : null].filter(Boolean).join('; ')})`
        : 'published file listing';
    case 'facts':
      return 'named in the survey; dtypes and sizes are estimates';
    case 'guess':
      return 'not evidenced: likely missing';
    case 'checked':
      return 'checked live';
  }
}
