/**
 * Hub model ladders: repository ids, revision pinning, dtype probing and choice, verified and
 * resumable downloads, the consent gate, and the model cache. See docs/hub.md.
 * (DirectoryModelStore lives in store-node.ts: Node only, not exported here.)
 */
export * from './errors.ts';
export { validateRepoId, isCommitSha, normalizeHost, resolveUrl, revisionApiUrl, treeApiUrl, parseResolveUrl, type ResolvedFileUrl } from './repo.ts';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy, type FetchFn } from './http.ts';
export {
  fetchRevisionInfo,
  fetchRepoListing,
  dtypesOfListing,
  API_JSON_LIMITS,
  type RepoListing,
  type ListedFile,
  resolveRevision,
  probeDtypes,
  readModelConfig,
  type HubRequestOptions,
  type RevisionInfo,
  type DtypeProbe,
} from './api.ts';
export {
  SUPPORTED_ARCHITECTURES,
  isSupportedArchitecture,
  estimateParams,
  summarizeConfig,
  externalDataChunks,
  type ModelConfigSummary,
  type SupportedArchitecture,
} from './architectures.ts';
export {
  DTYPE_SUFFIX,
  F16_DTYPES,
  dtypeFile,
  externalDataFiles,
  dtypePreference,
  dtypeRunsOn,
  chooseDtype,
  chooseLadderDtypes,
  ladderDtypeWarning,
  dtypeWarnings,
  INT8_DTYPES,
  type DtypeCapabilities,
  type DtypeChoiceOptions,
  type DtypeOffer,
} from './dtypes.ts';
export { verifiedDownload, sha256OfEtag, type DownloadTarget, type DownloadHooks } from './download.ts';
export {
  planDownload,
  DtypeNotSupportedError,
  DEFAULT_CONSENT_THRESHOLD_BYTES,
  TOKENIZER_AND_CONFIG_FILES,
  OPTIONAL_FILES,
  type DownloadPlan,
  type PlannedModel,
  type PlannedFile,
  type PlanFailure,
  type PlanOptions,
} from './plan.ts';
export {
  MemoryModelStore,
  CacheApiModelStore,
  DEFAULT_CACHE_NAME,
  listCachedModels,
  deleteCachedModel,
  cachedBytes,
  clearModelStore,
  type ModelFileStore,
  type StoredEntry,
  type StoredIntegrity,
  type CachedModel,
  type CachedFile,
  type CacheLike,
} from './store.ts';
export { createHubSession, type HubSession, type HubSessionOptions, type HubEvent, type TransformersCache } from './session.ts';
export { configuredModelHost, configuredConsentThreshold, cacheApiAvailable, createBrowserHubSession } from './browser.ts';
