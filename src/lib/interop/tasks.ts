/**
 * How a lab item becomes an lm-eval doc, and a variant an lm-eval task name. Export writes these
 * docs; import rebuilds them from the spec to check `doc_hash` item by item, so both sides share
 * this file.
 */
import type { ExperimentSpec } from '../spec/schema.ts';
import { generateItems, taskVariants, type TaskResources } from '../tasks/registry.ts';
import type { TaskItem } from '../tasks/types.ts';
import { InteropError } from './errors.ts';
import type { LmEvalDoc } from './hash.ts';

/** Prefix of every exported task name, so imports can tell the lab's tasks from foreign ones. */
export const TASK_PREFIX = 'emergence_lab_';

/** lm-eval task names: lowercase letters, digits and underscores. */
export function taskNamesOf(variants: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const variant of variants) {
    const base = TASK_PREFIX + (variant.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'variant');
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    names.set(variant, name);
  }
  return names;
}

export interface ExportedVariant {
  variant: string;
  task: string;
  kind: TaskItem['kind'];
  items: TaskItem[];
  /** Generation variants with alternative answers log a list target ("targets"). */
  listTargets: boolean;
}

/** The spec's items grouped per variant, in the registry's variant order. */
export function exportedVariants(spec: ExperimentSpec, resources: TaskResources): ExportedVariant[] {
  const items = generateItems(spec.task, resources);
  const variants = taskVariants(spec.task, resources);
  const names = taskNamesOf(variants);
  return variants.map((variant) => {
    const list = items.filter((i) => i.variant === variant);
    if (list.length === 0) throw new InteropError(`Variant "${variant}" has no items.`);
    const kinds = new Set(list.map((i) => i.kind));
    if (kinds.size > 1) throw new InteropError(`Variant "${variant}" mixes generation and choice items; lm-eval tasks have one output type.`);
    return {
      variant,
      task: names.get(variant)!,
      kind: list[0].kind,
      items: list,
      listTargets: list.some((i) => i.kind === 'generation' && (i.alternatives?.length ?? 0) > 0),
    };
  });
}

/**
 * The doc of one item. Only strings, whole numbers and lists of strings, in a fixed key order,
 * so Python's json.dumps (doc_hash) writes what JSON.stringify writes.
 */
export function docOf(item: TaskItem, listTargets: boolean): LmEvalDoc {
  if (item.kind === 'choice') return { id: item.id, prompt: item.prompt, choices: item.choices, answer: item.answerIndex };
  const doc: LmEvalDoc = { id: item.id, prompt: item.prompt, target: item.target };
  if (listTargets) doc.targets = [item.target, ...(item.alternatives ?? [])];
  return doc;
}
