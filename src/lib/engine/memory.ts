/**
 * Batches under a memory budget that shrink after an out-of-memory error: the failed batch and
 * everything after it are planned again with half the budget (so half the rows, or narrower
 * calls for a single long row), and the run goes on. Rows are scored independently, so the
 * results do not depend on how they were batched.
 */
import { isOutOfMemory } from '../hub/errors.ts';
import type { MemoryModel } from './batching.ts';
import { callBytes } from './batching.ts';
import { CancelledError } from './errors.ts';

/** How many times a run halves its budget before giving up with the runtime's error. */
const MAX_SHRINKS = 12;

export async function runWithinBudget<T>(
  entries: T[],
  memory: MemoryModel,
  plan: (entries: T[], memory: MemoryModel) => T[][],
  run: (batch: T[], memory: MemoryModel) => Promise<void>,
  signal?: AbortSignal,
  onShrink?: (memory: MemoryModel, err: unknown) => void,
): Promise<void> {
  let m = { ...memory };
  let queue = plan(entries, m);
  let shrinks = 0;
  while (queue.length > 0) {
    if (signal?.aborted) throw new CancelledError();
    const batch = queue[0];
    try {
      await run(batch, m);
      queue.shift();
    } catch (err) {
      // Out of memory: retry with half the budget (and at most half the rows), unless that cannot help.
      const floor = callBytes(1, 1, 1, m);
      if (!isOutOfMemory(err) || shrinks >= MAX_SHRINKS || (batch.length === 1 && m.budgetBytes <= floor)) throw err;
      shrinks++;
      m = { ...m, budgetBytes: Math.floor(m.budgetBytes / 2), maxRows: Math.max(1, Math.floor(Math.min(m.maxRows, batch.length) / 2)) };
      onShrink?.(m, err);
      queue = plan(queue.flat(), m);
    }
  }
}
