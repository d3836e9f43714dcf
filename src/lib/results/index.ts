/** The results core: the run format, its schema, records, aggregates and emergence. No DOM, no ONNX, no run/. */
export * from './types.ts';
export * from './records.ts';
export * from './emergence.ts';
export * from './limits.ts';
