/** Saved runs in IndexedDB (browser); testable in Node with fake-indexeddb. */
export { RunStore, type RunList, type RunStatus, type RunStoreOptions, type RunSummary, type StorageUsage, type ResumeState } from './run-store.ts';
export { StorageError, type StorageErrorCode } from './errors.ts';
export { DB_NAME, DB_VERSION, RECORD_VERSION } from './records.ts';
