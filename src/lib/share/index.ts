/** Share and import: run files, result links, CSV export, run comparison. No DOM, no ONNX. */
export * from './errors.ts';
export * from './limits.ts';
export { parseRunFile, serializeRunFile, validateRunResult } from './run-file.ts';
export { RunResultSchema } from '../results/schema.ts';
export type { SharedItems, SharedModel, SharedModelItems, SharedRun } from './shared-run.ts';
export { encodeShareLink, type ShareLink, type ShareLinkOptions } from './link-encode.ts';
export { decodeShareLink } from './link-decode.ts';
export { LINK_PREFIX, LINK_VERSION } from './link-format.ts';
export { LOGPROB_STEPS, type LogprobSteps } from './item-columns.ts';
export { expandSharedItems, sharedItemPrecision, type ExpandedItem, type ExpandedModelItems, type MetricPrecision } from './expand.ts';
export { runToCsv, CSV_FIXED_COLUMNS } from './csv.ts';
export { compareRuns, type AggregateDelta, type ModelComparison, type RunComparison } from './compare.ts';
export { sharedRunToView } from './shared-view.ts';
