/**
 * A shared run as the lab shows it: a RunResult whose items carry the link's per-item metrics,
 * with prompts and targets regenerated from the spec (a link stores neither: the seeded task
 * generator makes the same items from the same spec). Model outputs are not in links, so
 * `output_text` is empty (the page says so); aggregates and emergence scores are the
 * sender's, unchanged, so charts and tables show exactly the numbers that were shared.
 */
import { RUN_FORMAT, RUN_VERSION, type ItemRecord, type ModelRun, type RunResult } from '../results/types.ts';
import { generateItems } from '../tasks/registry.ts';
import type { TaskItem } from '../tasks/types.ts';
import { expandSharedItems } from './expand.ts';
import type { SharedRun } from './shared-run.ts';

function itemsOf(shared: SharedRun): Map<string, TaskItem> {
  try {
    return new Map(generateItems(shared.spec.task, { taskData: shared.taskData ?? null }).map((i) => [i.id, i]));
  } catch {
    // An imported task whose examples did not fit the link: items then show ids only.
    return new Map();
  }
}

export function sharedRunToView(shared: SharedRun): RunResult {
  const generated = itemsOf(shared);
  const expanded = new Map(expandSharedItems(shared).map((e) => [e.modelIndex, e.items]));
  const models: ModelRun[] = shared.models.map((m, i) => {
    const items: ItemRecord[] = (expanded.get(i) ?? []).map((it) => {
      const source = generated.get(it.id);
      // Links carry compact items only for generation tasks (choice runs share aggregates).
      return {
        id: it.id,
        variant: it.variant,
        prompt: source?.prompt ?? '',
        target: source?.kind === 'generation' ? source.target : '',
        meta: source?.meta ?? {},
        target_token_ids: [],
        target_logprobs: [],
        target_is_argmax: [],
        output_text: '',
        output_token_ids: [],
        generated: false,
        metrics: it.metrics,
      };
    });
    return { ...m, loadMs: 0, scoreMs: 0, items };
  });
  return {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec: shared.spec,
    env: shared.env,
    models,
    emergence: shared.emergence,
    ...(shared.emergenceMeasures ? { emergence_measures: shared.emergenceMeasures } : {}),
    intervals: shared.intervals,
    ...(shared.taskData ? { task_data: shared.taskData } : {}),
  };
}
