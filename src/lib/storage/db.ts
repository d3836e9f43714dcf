/**
 * Opening the saved-runs database, with the schema upgrade path. A factory can be injected
 * (tests pass fake-indexeddb's IDBFactory; the page uses the browser's indexedDB).
 */
import { wrap, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { StorageError, toStorageError } from './errors.ts';
import { DB_NAME, DB_VERSION, type RunDb } from './records.ts';

export interface OpenOptions {
  indexedDB?: IDBFactory;
  name?: string;
  /** Another tab keeps an older version open; the UI should ask to close other lab tabs. */
  onBlocked?: () => void;
}

/**
 * Each step upgrades from the version before it, so any old database reaches DB_VERSION.
 * Version 2 would add `if (oldVersion < 2) { … }`, rewriting records through `tx` if needed.
 */
function upgrade(db: IDBPDatabase<RunDb>, oldVersion: number, _tx: IDBPTransaction<RunDb, StoreNames<RunDb>[], 'versionchange'>): void {
  if (oldVersion < 1) {
    db.createObjectStore('runs', { keyPath: 'id' });
    const models = db.createObjectStore('models', { keyPath: ['runId', 'slot'] });
    models.createIndex('byRun', 'runId');
    const batches = db.createObjectStore('batches', { keyPath: 'seq', autoIncrement: true });
    batches.createIndex('byRun', 'runId');
    batches.createIndex('byRunModel', ['runId', 'modelId']);
  }
}

export async function openRunDb(opts: OpenOptions = {}): Promise<IDBPDatabase<RunDb>> {
  const factory = opts.indexedDB ?? (typeof indexedDB === 'undefined' ? undefined : indexedDB);
  if (!factory) {
    throw new StorageError('This browser cannot save runs (no IndexedDB, e.g. some private windows). Runs still work; download results as files to keep them.', 'unavailable');
  }
  try {
    const request = factory.open(opts.name ?? DB_NAME, DB_VERSION);
    request.addEventListener('upgradeneeded', (event) => {
      upgrade(wrap(request.result) as unknown as IDBPDatabase<RunDb>, event.oldVersion, wrap(request.transaction!) as unknown as IDBPTransaction<RunDb, StoreNames<RunDb>[], 'versionchange'>);
    });
    request.addEventListener('blocked', () => opts.onBlocked?.());
    const db = (await wrap(request)) as unknown as IDBPDatabase<RunDb>;
    // A newer lab in another tab wants to upgrade: let it, this connection closes.
    db.addEventListener('versionchange', () => db.close());
    return db;
  } catch (e) {
    throw toStorageError(e, 'opening saved runs');
  }
}
