/**
 * From a spec and the download plan of its Hub models to what the worker runs: revisions pinned
 * to the planned commits (recorded in the result's spec, so a re-run asks for that commit),
 * parameter counts, and which models can run at all. Pure: the page plans and asks consent.
 */
import { paramsOfHub } from '../catalog/hub-catalog.ts';
import type { DownloadPlan } from '../hub/plan.ts';
import type { ExperimentSpec } from '../spec/schema.ts';

/** The spec with every planned Hub model pinned to its commit and dtype as planned; other models unchanged. */
export function pinSpecToPlan(spec: ExperimentSpec, plan: DownloadPlan): ExperimentSpec {
  return {
    ...spec,
    models: spec.models.map((ref) => {
      if (ref.source !== 'hub') return ref;
      const planned = plan.models.find((m) => m.repoId === ref.id);
      return planned ? { ...ref, revision: planned.sha, dtype: planned.dtype } : ref;
    }),
  };
}

/**
 * Parameter count per model id: bundled from the ladder manifest, Hub from the catalog (the
 * model card's count), else what the plan read from config.json (stated or estimated).
 */
export function runParams(spec: ExperimentSpec, plan: DownloadPlan | null, bundledParams: (id: string) => number | null): Record<string, number | null> {
  return Object.fromEntries(
    spec.models.map((ref) => {
      if (ref.source === 'bundled') return [ref.id, bundledParams(ref.id)];
      return [ref.id, paramsOfHub(ref.id) ?? plan?.models.find((m) => m.repoId === ref.id)?.params ?? null];
    }),
  );
}

/** Hub models the plan could not plan (their rungs fail with this message; the rest runs). */
export function planFailures(plan: DownloadPlan): Record<string, string> {
  return Object.fromEntries(plan.failed.filter((f) => !plan.models.some((m) => m.repoId === f.ref.id)).map((f) => [f.ref.id, f.message]));
}

/** True when at least one model of the spec can run (a bundled one, or a planned Hub one). */
export function anyRunnable(spec: ExperimentSpec, plan: DownloadPlan): boolean {
  const failed = planFailures(plan);
  return spec.models.some((m) => m.source === 'bundled' || !(m.id in failed));
}
