/**
 * The item table of a link: every item id once (union over models, first-seen order), stored
 * as runs "prefix + counter" where ids follow that pattern (the arithmetic ids "add-3d-0"…
 * cost a few bytes per variant instead of a few bytes per item).
 */
import type { ModelRun } from '../results/types.ts';
import { PayloadError } from './bytes.ts';
import type { ItemGroup } from './link-header.ts';
import { MAX_RUN_ITEMS } from './limits.ts';

export interface ItemTable {
  ids: string[];
  variants: string[];
  /** Per model: positions of its items in the table, ascending (null when the model has none). */
  index: (number[] | null)[];
}

/**
 * The table of a run's items, or null when the items cannot be written compactly: an id with
 * two variants, or a model whose items are in a different order than the table.
 */
export function buildItemTable(models: readonly ModelRun[]): ItemTable | null {
  const position = new Map<string, number>();
  const ids: string[] = [];
  const variants: string[] = [];
  for (const m of models) {
    for (const item of m.items) {
      const at = position.get(item.id);
      if (at === undefined) {
        position.set(item.id, ids.length);
        ids.push(item.id);
        variants.push(item.variant);
      } else if (variants[at] !== item.variant) return null;
    }
  }
  const index: (number[] | null)[] = [];
  for (const m of models) {
    if (m.items.length === 0) {
      index.push(null);
      continue;
    }
    const positions = m.items.map((i) => position.get(i.id)!);
    if (positions.some((p, k) => k > 0 && p <= positions[k - 1])) return null;
    index.push(positions);
  }
  return { ids, variants, index };
}

const TRAILING_COUNTER = /^(.*?)(0|[1-9][0-9]{0,6})$/;

export function groupItemIds(ids: readonly string[], variants: readonly string[]): ItemGroup[] {
  const groups: ItemGroup[] = [];
  for (let i = 0; i < ids.length; i++) {
    const last = groups.at(-1);
    const m = TRAILING_COUNTER.exec(ids[i]);
    if (last && last[0] === variants[i] && typeof last[1] === 'string' && typeof last[2] === 'number' && typeof last[3] === 'number' && m && m[1] === last[1] && Number(m[2]) === last[2] + last[3]) {
      last[3]++;
    } else if (m) {
      groups.push([variants[i], m[1], Number(m[2]), 1]);
    } else if (last && last[0] === variants[i] && Array.isArray(last[1])) {
      last[1].push(ids[i]);
    } else {
      groups.push([variants[i], [ids[i]]]);
    }
  }
  return groups;
}

/** ids and variants of a decoded table; throws PayloadError past the item limit or on repeats. */
export function expandItemGroups(groups: readonly ItemGroup[]): { ids: string[]; variants: string[] } {
  let total = 0;
  for (const g of groups) total += typeof g[1] === 'string' ? (g[3] as number) : g[1].length;
  if (total > MAX_RUN_ITEMS) throw new PayloadError(`the link lists ${total} items, more than ${MAX_RUN_ITEMS}`);
  const ids: string[] = [];
  const variants: string[] = [];
  for (const g of groups) {
    if (typeof g[1] === 'string') {
      for (let k = 0; k < (g[3] as number); k++) {
        ids.push(`${g[1]}${(g[2] as number) + k}`);
        variants.push(g[0]);
      }
    } else {
      for (const id of g[1]) {
        ids.push(id);
        variants.push(g[0]);
      }
    }
  }
  if (new Set(ids).size !== ids.length) throw new PayloadError('an item id is listed twice');
  return { ids, variants };
}
