/**
 * Group rows of similar length into batches whose logits tensor stays within a memory budget:
 * rows x length x vocab x 4 bytes <= budget (vocabularies of 150K tokens make this the binding
 * limit for real models), and rows <= maxBatch.
 */
export function planBatches<T>(
  entries: T[],
  lengthOf: (e: T) => number,
  vocab: number,
  maxBatch: number,
  budgetBytes: number,
): T[][] {
  const sorted = [...entries].sort((x, y) => lengthOf(y) - lengthOf(x));
  const batches: T[][] = [];
  let current: T[] = [];
  let currentLen = 0;
  for (const e of sorted) {
    const len = Math.max(currentLen, lengthOf(e));
    const rowsAllowed = Math.max(1, Math.min(maxBatch, Math.floor(budgetBytes / (len * vocab * 4))));
    if (current.length > 0 && current.length + 1 > rowsAllowed) {
      batches.push(current);
      current = [];
      currentLen = 0;
    }
    current.push(e);
    currentLen = Math.max(currentLen, lengthOf(e));
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
