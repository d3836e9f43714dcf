/**
 * The consent gate's first half: what a run would download, before anything is downloaded.
 * planDownload resolves every Hub model's revision to a commit, checks its architecture and
 * dtype, and sizes every file it needs (cached files count as cached). The UI shows the plan and
 * asks; HubSession.grant(plan) then lets exactly those files through.
 *
 * A plan is plain data (structured-cloneable): it can travel between the page and the worker.
 */
import type { Device, Dtype, ModelRef } from '../spec/schema.ts';
import { dtypesOfListing, fetchRepoListing, fetchRevisionInfo, readModelConfig, type HubRequestOptions, type RepoListing } from './api.ts';
import { externalDataChunks, type ModelConfigSummary } from './architectures.ts';
import { dtypeFile, dtypeRunsOn, dtypeWarnings, externalDataFiles, ladderDtypeWarning } from './dtypes.ts';
import { HubError, MissingDtypeError } from './errors.ts';
import { isCommitSha, resolveUrl, validateRepoId } from './repo.ts';

/** Downloads above this many bytes should be confirmed by the visitor (the UI decides how). */
export const DEFAULT_CONSENT_THRESHOLD_BYTES = 20 * 1024 * 1024;

/** Files every transformers.js causal LM loads besides its ONNX weights. */
export const TOKENIZER_AND_CONFIG_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
/** Files transformers.js asks for but does without. */
export const OPTIONAL_FILES = ['generation_config.json'] as const;

export interface PlannedFile {
  repoId: string;
  revision: string;
  file: string;
  url: string;
  /** Size from the host's listing or the cache; null when the host did not say. */
  bytes: number | null;
  /** SHA-256 the host publishes for it (LFS files); null: only its length can be checked. */
  sha256?: string | null;
  cached: boolean;
}

export interface PlannedModel {
  /** The spec's ref with the revision pinned to the commit: run and record this one. */
  ref: ModelRef;
  repoId: string;
  sha: string;
  dtype: Dtype;
  modelType: string;
  params: number | null;
  paramsEstimated: boolean;
  files: PlannedFile[];
  /** Optional files the commit does not have (remembered, never requested again). */
  absentOptional: string[];
  /** External-data files (model*.onnx_data, _1, ...) the weights come with; passed to transformers.js. */
  externalDataChunks?: number;
  totalBytes: number;
  cachedBytes: number;
  downloadBytes: number;
  /** Some sizes are unknown: the totals are lower bounds. */
  sizesIncomplete: boolean;
}

export interface PlanFailure {
  ref: ModelRef;
  /** Error class name (InvalidRepoIdError, MissingDtypeError, ...). */
  error: string;
  message: string;
}

export interface DownloadPlan {
  host: string;
  models: PlannedModel[];
  /** Hub models that cannot run; the rest of the ladder still can. */
  failed: PlanFailure[];
  /** Every file of every planned model. */
  files: PlannedFile[];
  totalBytes: number;
  cachedBytes: number;
  downloadBytes: number;
  consentThresholdBytes: number;
  /** downloadBytes is over the threshold: ask before grant(). */
  needsConsent: boolean;
  warnings: string[];
}

export interface PlanOptions extends HubRequestOptions {
  consentThresholdBytes?: number;
  /** When known, refuse f16 dtypes on a WebGPU adapter without shader-f16. */
  shaderF16?: boolean;
  /** Listings already fetched ("repo@sha" -> listing): one listing request per repository and commit. */
  listings?: Map<string, Promise<RepoListing>>;
}

/** The listing of a repository at a commit, fetched once per `listings` map. */
export function listingOf(host: string, repoId: string, sha: string, options: PlanOptions): Promise<RepoListing> {
  const key = `${repoId}@${sha}`;
  let p = options.listings?.get(key);
  if (!p) {
    p = fetchRepoListing(host, repoId, sha, options);
    // A failed listing is asked again next time (the host may recover).
    p.catch(() => options.listings?.delete(key));
    options.listings?.set(key, p);
  }
  return p;
}

function failureOf(ref: ModelRef, err: unknown): PlanFailure {
  if (err instanceof Error) return { ref, error: err.name, message: err.message };
  return { ref, error: 'Error', message: String(err) };
}

/** A Hub dtype this device cannot run (fp16/q4f16 without shader-f16). */
export class DtypeNotSupportedError extends HubError {
  override name = 'DtypeNotSupportedError';
  constructor(repoId: string, dtype: Dtype, device: Device) {
    super(repoId, `${repoId}: ${dtype} weights need the WebGPU feature shader-f16, which this ${device} adapter lacks. Choose q4, q8 or fp32.`);
  }
}

async function planModel(host: string, ref: ModelRef, options: PlanOptions): Promise<PlannedModel> {
  const repoId = validateRepoId(ref.id);
  if (options.shaderF16 !== undefined && !dtypeRunsOn(ref.dtype, { device: ref.device, shaderF16: options.shaderF16 })) {
    throw new DtypeNotSupportedError(repoId, ref.dtype, ref.device);
  }
  const sha = isCommitSha(ref.revision) ? ref.revision : (await fetchRevisionInfo(host, repoId, ref.revision ?? 'main', options)).sha;
  const config: ModelConfigSummary = await readModelConfig(host, repoId, sha, options);
  const onnx = dtypeFile(ref.dtype);
  const configChunks = externalDataChunks(config.externalData, onnx.slice('onnx/'.length));
  const store = options.store;
  const url = (file: string) => resolveUrl(host, repoId, sha, file);
  const files: PlannedFile[] = [];
  const absentOptional: string[] = [];
  let chunks = configChunks;

  // A model whose files are all cached plans without a request (a commit never changes).
  const fromStore = async (): Promise<boolean> => {
    if (!store) return false;
    const found: PlannedFile[] = [];
    // External data the listing showed when it was downloaded (config.json may not mention it):
    // every chunk stored next to the weights is part of them.
    let stored = 0;
    while (stored < 100 && (await store.size(url(externalDataFiles(onnx, stored + 1)[stored]))) !== null) stored++;
    if (stored < configChunks) return false;
    chunks = stored;
    for (const file of [onnx, ...externalDataFiles(onnx, chunks), ...TOKENIZER_AND_CONFIG_FILES]) {
      const bytes = await store.size(url(file));
      if (bytes === null) return false;
      found.push({ repoId, revision: sha, file, url: url(file), bytes, sha256: null, cached: true });
    }
    for (const file of OPTIONAL_FILES) {
      const bytes = await store.size(url(file));
      if (bytes !== null) found.push({ repoId, revision: sha, file, url: url(file), bytes, sha256: null, cached: true });
      else if (await store.isAbsent(url(file))) absentOptional.push(file);
      else return false;
    }
    files.push(...found);
    return true;
  };

  if (!(await fromStore())) {
    absentOptional.length = 0;
    const listing = await listingOf(host, repoId, sha, options);
    if (!listing.files.has(onnx)) {
      // Throws LegacyOnnxLayoutError / NoOnnxFilesError when no dtype is there at all.
      const available = dtypesOfListing(listing);
      throw new MissingDtypeError(repoId, ref.dtype, available.map((p) => p.dtype));
    }
    // The listing says which external-data chunks exist; config.json may not mention them.
    chunks = dtypesOfListing(listing).find((p) => p.dtype === ref.dtype)?.externalData.length ?? 0;
    if (configChunks > chunks) {
      throw new HubError(repoId, `${repoId}: config.json asks for ${configChunks} external-data file(s) of ${onnx}, but the repository has ${chunks}; it looks incomplete. Choose another dtype or repository.`);
    }
    for (const file of [onnx, ...externalDataFiles(onnx, chunks), ...TOKENIZER_AND_CONFIG_FILES, ...OPTIONAL_FILES]) {
      const listed = listing.files.get(file);
      if (!listed) {
        if ((OPTIONAL_FILES as readonly string[]).includes(file)) {
          absentOptional.push(file);
          // A commit never changes: remember the absence so later loads do not ask again.
          await store?.putAbsent(url(file)).catch(() => undefined);
          continue;
        }
        throw new HubError(repoId, `${repoId}: ${file} is missing at commit ${sha.slice(0, 12)}; transformers.js needs it. Choose an export made for transformers.js.`);
      }
      const cachedSize = store ? await store.size(url(file)) : null;
      files.push({ repoId, revision: sha, file, url: url(file), bytes: listed.bytes, sha256: listed.sha256, cached: cachedSize !== null && cachedSize === listed.bytes });
    }
  }
  const totalBytes = files.reduce((s, f) => s + (f.bytes ?? 0), 0);
  const cachedBytes = files.reduce((s, f) => s + (f.cached ? (f.bytes ?? 0) : 0), 0);
  return {
    ref: { ...ref, revision: sha },
    repoId,
    sha,
    dtype: ref.dtype,
    modelType: config.modelType,
    params: config.params,
    paramsEstimated: config.paramsEstimated,
    files,
    absentOptional,
    externalDataChunks: chunks,
    totalBytes,
    cachedBytes,
    downloadBytes: totalBytes - cachedBytes,
    sizesIncomplete: files.some((f) => f.bytes === null),
  };
}

/**
 * Plan the downloads of a spec's Hub models (bundled models are skipped). Never throws for one
 * model: its failure goes to `failed` with a typed error name and message.
 */
export async function planDownload(host: string, refs: readonly ModelRef[], options: PlanOptions = {}): Promise<DownloadPlan> {
  const models: PlannedModel[] = [];
  const failed: PlanFailure[] = [];
  for (const ref of refs) {
    if (ref.source !== 'hub') continue;
    try {
      models.push(await planModel(host, ref, options));
    } catch (err) {
      failed.push(failureOf(ref, err));
    }
  }
  const files = models.flatMap((m) => m.files);
  const totalBytes = models.reduce((s, m) => s + m.totalBytes, 0);
  const cachedBytes = models.reduce((s, m) => s + m.cachedBytes, 0);
  const threshold = options.consentThresholdBytes ?? DEFAULT_CONSENT_THRESHOLD_BYTES;
  const warnings: string[] = [];
  const mixed = ladderDtypeWarning(models.map((m) => ({ id: m.repoId, dtype: m.dtype })));
  if (mixed) warnings.push(mixed);
  for (const m of models) warnings.push(...dtypeWarnings({ id: m.repoId, dtype: m.dtype, device: m.ref.device, modelType: m.modelType }));
  for (const m of models) if (m.sizesIncomplete) warnings.push(`${m.repoId}: the host did not report every file size; the download may be larger than shown.`);
  return {
    host,
    models,
    failed,
    files,
    totalBytes,
    cachedBytes,
    downloadBytes: totalBytes - cachedBytes,
    consentThresholdBytes: threshold,
    needsConsent: totalBytes - cachedBytes > threshold,
    warnings,
  };
}
