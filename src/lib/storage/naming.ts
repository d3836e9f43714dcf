/** Run ids, default names, and where a model run belongs in its spec. */
import type { ModelRun } from '../results/types.ts';
import type { ExperimentSpec } from '../spec/schema.ts';
import { describeTask } from '../tasks/registry.ts';

export function randomId(): string {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes); // works in insecure contexts too, unlike randomUUID
  return `run-${Date.now().toString(36)}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export function defaultName(spec: ExperimentSpec): string {
  const task = describeTask(spec.task).replace(/, \d+ per variant$|, up to \d+ examples per variant$/, '');
  return `${task}, ${spec.models.length} model${spec.models.length === 1 ? '' : 's'}`;
}

/** Index in spec.models of a model run: same id, dtype and device, else the same id. */
export function slotOf(spec: ExperimentSpec, model: ModelRun): number {
  const exact = spec.models.findIndex((r) => r.id === model.id && r.dtype === model.dtype && r.device === model.device);
  return exact >= 0 ? exact : spec.models.findIndex((r) => r.id === model.id);
}

/** Slots of a result's models in its spec, each slot used once; null when one has no free slot. */
export function slotsOf(spec: ExperimentSpec, models: readonly ModelRun[]): number[] | null {
  const used = new Set<number>();
  const slots: number[] = [];
  for (const m of models) {
    const free = (match: (i: number) => boolean) => spec.models.findIndex((_, i) => !used.has(i) && match(i));
    let slot = free((i) => spec.models[i].id === m.id && spec.models[i].dtype === m.dtype && spec.models[i].device === m.device);
    if (slot < 0) slot = free((i) => spec.models[i].id === m.id);
    if (slot < 0) return null;
    used.add(slot);
    slots.push(slot);
  }
  return slots;
}
