/** Typed errors of saved-run storage, with a message the UI can show as is. */

export type StorageErrorCode =
  | 'unavailable' // no IndexedDB (some private windows) or the browser refused it
  | 'blocked' // another tab holds an older version of the database open
  | 'newer-version' // written by a newer version of the lab
  | 'not-found'
  | 'corrupt' // a record that does not validate
  | 'quota' // storage full
  | 'invalid-state' // e.g. appending to a finished run
  | 'invalid-input'; // e.g. an empty name, an invalid run to import

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    readonly code: StorageErrorCode,
    /** The run concerned, when there is one. */
    readonly runId: string | null = null,
    readonly issues: string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Map an IndexedDB/DOM failure to a StorageError; StorageErrors pass through. */
export function toStorageError(e: unknown, what: string, runId: string | null = null): StorageError {
  if (e instanceof StorageError) return e;
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '';
  if (name === 'QuotaExceededError') {
    return new StorageError(`Your browser's storage for this site is full, so ${what} failed. Delete saved runs you no longer need, or download them as files first.`, 'quota', runId, [], { cause: e });
  }
  if (name === 'VersionError') {
    return new StorageError('Your saved runs were written by a newer version of Emergence Lab. Open the newer lab to see them; this one will not change them.', 'newer-version', runId, [], { cause: e });
  }
  const detail = e instanceof Error ? e.message : String(e);
  return new StorageError(`Saving runs is not available in this browser right now (${what} failed: ${detail}). Runs still work; download results as files to keep them.`, 'unavailable', runId, [], { cause: e });
}
