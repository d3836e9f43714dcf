/**
 * Emergence measures (results/emergence.ts computeEmergenceMeasures) from a link's items, as
 * the decoder computes them and as the encoder checks before it leaves them out of the link.
 * Only when every finished model of the ladder has all its items in the link: a ladder with a
 * model missing would give measures of another ladder.
 */
import { computeEmergenceMeasures } from '../results/emergence.ts';
import type { ModelRun, VariantEmergenceMeasures } from '../results/types.ts';
import { expandModelColumns } from './expand.ts';
import type { SharedItems } from './shared-run.ts';

type ModelFacts = Pick<ModelRun, 'id' | 'params' | 'status' | 'aggregates'>;

export function linkMeasures(bootstrapSeed: number, models: readonly ModelFacts[], items: SharedItems): Record<string, VariantEmergenceMeasures> | null {
  const withItems = models.map((m, i) => {
    const column = items.models[i];
    return { ...m, items: column ? expandModelColumns(items, column) : [] };
  });
  // Every finished model with a size must have every item of each variant it aggregated.
  for (const m of withItems) {
    if (m.status !== 'done' || m.params === null) continue;
    for (const a of m.aggregates.variants) {
      if (m.items.filter((i) => i.variant === a.variant).length !== a.n) return null;
    }
  }
  return computeEmergenceMeasures(withItems, bootstrapSeed);
}

/** JSON with object keys sorted: equal for the same measures whatever order a schema rebuilt them in. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(x);
}

/** Whether two sets of emergence measures hold the same numbers and reasons (bit for bit: JSON round-trips doubles). */
export function sameMeasures(a: Record<string, VariantEmergenceMeasures> | undefined, b: Record<string, VariantEmergenceMeasures> | undefined): boolean {
  return canonical(a ?? null) === canonical(b ?? null);
}
