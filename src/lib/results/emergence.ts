/** Emergence measures of a run, computed from its models' aggregates alone (no items needed). */
import { emergenceScores } from '../metrics/emergence.ts';
import { METRIC_IDS } from '../metrics/registry.ts';
import type { ModelRun, RunResult } from './types.ts';

/** Emergence score per variant and metric across finished models ordered by parameter count. */
export function computeEmergence(models: readonly ModelRun[]): RunResult['emergence'] {
  const ladder = models.filter((m) => m.status === 'done' && m.params !== null).sort((a, b) => a.params! - b.params!);
  const out: RunResult['emergence'] = {};
  if (ladder.length < 2) return out;
  for (const { variant } of ladder[0].aggregates.variants) {
    const perModel = ladder.map((m) => {
      const agg = m.aggregates.variants.find((x) => x.variant === variant);
      return Object.fromEntries(Object.entries(agg?.metrics ?? {}).map(([k, s]) => [k, s.mean]));
    });
    const ids = METRIC_IDS.filter((id) => perModel.every((values) => id in values));
    out[variant] = emergenceScores(perModel, ids);
  }
  return out;
}
