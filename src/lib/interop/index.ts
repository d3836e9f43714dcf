/** lm-evaluation-harness interop: task export, sample-log import, merging runs. Pure: no DOM, no ONNX, no engine. */
export * from './errors.ts';
export * from './export.ts';
export * from './import.ts';
export * from './merge.ts';
export * from './params.ts';
export * from './hash.ts';
export { parseResultsFile, parseSamplesFile, MAX_LOG_FILE_CHARS, type LmEvalFile } from './logs.ts';
export { docOf, exportedVariants, taskNamesOf, TASK_PREFIX } from './tasks.ts';
export { toYaml } from './yaml.ts';
