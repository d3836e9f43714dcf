/**
 * Merge several runs of the same experiment (browser runs from different machines, lm-eval
 * imports) into one ladder. Items must be the same: per variant, the same ids, prompts and
 * targets, else the merge is refused naming the variant. Each model keeps a provenance label
 * (its source and environment), and aggregates are recomputed with one bootstrap seed so the
 * rungs are comparable.
 */
import * as v from 'valibot';
import { computeEmergence, computeEmergenceMeasures } from '../results/emergence.ts';
import { describeIssues, RunResultSchema } from '../results/schema.ts';
import { aggregateModelItems } from '../results/records.ts';
import { RUN_FORMAT, RUN_VERSION, type ItemRecord, type ModelRun, type RunResult } from '../results/types.ts';
import type { MetricId } from '../metrics/registry.ts';
import { MAX_MODELS } from '../spec/schema.ts';
import { InteropError } from './errors.ts';

export interface NamedRun {
  /** File name or label of the run, used in messages and rung labels. */
  name: string;
  run: RunResult;
}

function signature(items: readonly ItemRecord[]): Map<string, string> {
  const byVariant = new Map<string, string[]>();
  for (const i of items) {
    const list = byVariant.get(i.variant) ?? [];
    list.push(JSON.stringify([i.id, i.prompt, i.target, i.kind === 'choice' ? i.choices : []]));
    byVariant.set(i.variant, list);
  }
  return new Map([...byVariant].map(([variant, list]) => [variant, list.join('\n')]));
}

function labOf(env: RunResult['env']): string {
  const browser = /Chrome\/(\d+)|Firefox\/(\d+)|Safari\//.exec(env.runtime);
  const runtime = browser ? browser[0].replace('/', ' ') : env.runtime.split(' ').slice(0, 2).join(' ');
  return `lab · ${env.backend} · ${runtime}`;
}

export function mergeRuns(runs: readonly NamedRun[]): RunResult {
  if (runs.length < 2) throw new InteropError('Merging needs at least two runs.');
  const base = runs[0];
  const baseTask = JSON.stringify(base.run.spec.task);
  const reference = new Map<string, string>();
  const models: ModelRun[] = [];
  const seen = new Map<string, string>();
  for (const { name, run } of runs) {
    if (JSON.stringify(run.spec.task) !== baseTask) {
      throw new InteropError(`"${name}" is a different experiment (its task settings differ from "${base.name}"); only runs of the same items can share a ladder.`);
    }
    for (const m of run.models) {
      if (m.status !== 'done') continue;
      const sig = signature(m.items);
      for (const [variant, s] of sig) {
        const ref = reference.get(variant);
        if (ref === undefined) reference.set(variant, s);
        else if (ref !== s) throw new InteropError(`Variant "${variant}" differs: model "${m.id}" of "${name}" was scored on other items than the runs before it (ids, prompts or targets differ).`);
      }
      const other = seen.get(m.id);
      if (other !== undefined) throw new InteropError(`Model "${m.id}" is in both "${other}" and "${name}"; keep it in one run (a ladder has one rung per model).`);
      seen.set(m.id, name);
      const provenance = m.provenance ?? { source: 'lab' as const, label: labOf(run.env) };
      models.push({ ...m, provenance: { ...provenance, label: `${provenance.label} (${name})`.slice(0, 200), env: provenance.env ?? run.env } });
    }
  }
  for (const m of models) {
    const variants = new Set(m.items.map((i) => i.variant));
    const missing = [...reference.keys()].find((v) => !variants.has(v));
    if (missing) throw new InteropError(`Variant "${missing}" differs: model "${m.id}" (${seen.get(m.id)}) has no items of it.`);
  }
  if (models.length > MAX_MODELS) throw new InteropError(`The merged ladder would have ${models.length} models; at most ${MAX_MODELS}.`);
  const metrics = [...new Set(runs.flatMap((r) => r.run.spec.metrics ?? []))] as MetricId[];
  const seed = base.run.spec.bootstrapSeed;
  const merged = models
    .map((m) => ({ ...m, aggregates: { variants: aggregateModelItems(m.items, { seed, model: m.id, metricIds: metrics }) } }))
    .sort((a, b) => (a.params ?? Infinity) - (b.params ?? Infinity));
  const refs = merged.map((m) => runs.flatMap((r) => r.run.spec.models).find((ref) => ref.id === m.id)!);
  const starts = runs.map((r) => r.run.env.startedAt).sort();
  const ends = runs.map((r) => r.run.env.finishedAt).filter((d): d is string => d !== null).sort();
  const taskData = runs.find((r) => r.run.task_data)?.run.task_data;
  const result: RunResult = {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    spec: { ...base.run.spec, models: refs, metrics },
    // One env for the file; each model's own is in its provenance.
    env: { ...base.run.env, runtime: `merged: ${runs.map((r) => r.name).join(', ')}`.slice(0, 1000), startedAt: starts[0], finishedAt: ends[ends.length - 1] ?? null },
    models: merged,
    emergence: computeEmergence(merged),
    emergence_measures: computeEmergenceMeasures(merged, seed),
    intervals: 'standard',
    ...(taskData ? { task_data: taskData } : {}),
  };
  const checked = v.safeParse(RunResultSchema, result);
  if (!checked.success) throw new InteropError(`The merged run does not validate: ${describeIssues(checked.issues).slice(0, 3).join('; ')}`);
  return result;
}
