/**
 * Items of an imported task. Examples with target_scores become multiple-choice items, the
 * others generation items (BIG-bench scores them with exact string match; the lab adds every
 * generation metric). Prompts follow BIG-bench's default_format_fn and make_nshot_dataset:
 *   task_prefix + [shot_1 + target_1, …, shot_k + target_k, query].join(separator)
 *   shot/query = example_input_prefix + input [+ choice_prefix + choices…] + example_output_prefix
 * with seeded choices of shots (never the query itself) and of the order of appended choices.
 * Following lm-evaluation-harness, a prompt never ends in whitespace: trailing spaces move to
 * the start of the continuation (BIG-bench's default "\nA: " puts one there), which keeps the
 * bytes scored identical while tokenizers see the space where they expect it.
 */
import { TaskError } from '../errors.ts';
import { createRng, deriveSeed, type Rng } from '../prng.ts';
import type { ImportedTask as ImportedTaskSpec } from '../schema.ts';
import type { ChoiceItem, GenerationItem, TaskItem } from '../types.ts';
import type { ImportedExample, ImportedTaskData } from './data.ts';

/** "My Task (v2)" → "my-task-v2": variant names and item ids must be plain. */
export function taskSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'task';
}

export type ImportedPart = 'mc' | 'gen';

function partOf(e: ImportedExample): ImportedPart {
  return e.targetScores ? 'mc' : 'gen';
}

/** Variants of a task: one, or "<slug>/mc" and "<slug>/gen" when it mixes both kinds of example. */
export function importedVariants(data: ImportedTaskData): { variant: string; part: ImportedPart }[] {
  const slug = taskSlug(data.name);
  const parts = (['mc', 'gen'] as const).filter((p) => data.examples.some((e) => partOf(e) === p));
  return parts.map((part) => ({ variant: parts.length > 1 ? `${slug}/${part}` : slug, part }));
}

function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Index of the first highest score (BIG-bench takes the first maximum as the target). */
function bestChoice(e: ImportedExample): number {
  const scores = e.targetScores!;
  let best = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k].score > scores[best].score) best = k;
  return best;
}

function formatInput(data: ImportedTaskData, e: ImportedExample, rng: Rng): string {
  let input = e.input;
  if (e.targetScores && data.appendChoicesToInput) {
    // BIG-bench sorts the choices, then permutes them with its RNG; ours is seeded per example.
    const order = shuffled([...e.targetScores.map((c) => c.choice)].sort(), rng);
    input += data.choicePrefix + order.join(data.choicePrefix);
  }
  return data.exampleInputPrefix + input + data.exampleOutputPrefix;
}

function answerOf(e: ImportedExample, rng: Rng): string {
  if (e.targetScores) return e.targetScores[bestChoice(e)].choice;
  return e.targets[rng.int(0, e.targets.length - 1)];
}

function splitTrailingSpace(prompt: string): { prompt: string; space: string } {
  const m = /[ \t]+$/.exec(prompt);
  return m ? { prompt: prompt.slice(0, m.index), space: m[0] } : { prompt, space: '' };
}

/** Number of items per variant the spec asks for, capped by the examples the file has. */
export function importedItemCount(data: ImportedTaskData, perVariant: number): number {
  return importedVariants(data).reduce((n, { part }) => n + Math.min(perVariant, data.examples.filter((e) => partOf(e) === part).length), 0);
}

export function generateImportedItems(task: ImportedTaskSpec, data: ImportedTaskData): TaskItem[] {
  const indexed = data.examples.map((e, index) => ({ e, index }));
  if (task.kShot > 0 && data.examples.length < task.kShot + 1) {
    throw new TaskError(`k-shot ${task.kShot} needs at least ${task.kShot + 1} examples in the task file; it has ${data.examples.length}.`);
  }
  const items: TaskItem[] = [];
  for (const { variant, part } of importedVariants(data)) {
    const pool = indexed.filter(({ e }) => partOf(e) === part);
    const pick = createRng(deriveSeed(task.seed, 'imported', variant, 'pick'));
    const chosen = shuffled(pool, pick).slice(0, task.perVariant).sort((x, y) => x.index - y.index);
    for (const { e, index } of chosen) {
      // Per-example streams: an item's prompt does not depend on which other examples were picked.
      const rng = createRng(deriveSeed(task.seed, 'imported', variant, index));
      const shots: string[] = [];
      if (task.kShot > 0) {
        const others = indexed.filter((x) => x.index !== index);
        for (const shot of shuffled(others, rng).slice(0, task.kShot)) shots.push(formatInput(data, shot.e, rng) + answerOf(shot.e, rng));
      }
      const query = formatInput(data, e, rng);
      const full = data.taskPrefix + [...shots, query].join(data.fewShotSeparator);
      const { prompt, space } = splitTrailingSpace(full);
      const base = { id: `${variant}-${index}`, variant, prompt, meta: { example: index } };
      if (e.targetScores) {
        const item: ChoiceItem = {
          ...base,
          kind: 'choice',
          choices: e.targetScores.map((c) => c.choice),
          delimiter: space,
          endToken: false,
          answerIndex: bestChoice(e),
          targetScores: e.targetScores.map((c) => c.score),
        };
        items.push(item);
      } else {
        const item: GenerationItem = {
          ...base,
          kind: 'generation',
          target: space + e.targets[0],
          ...(e.targets.length > 1 ? { alternatives: e.targets.slice(1).map((t) => space + t) } : {}),
          endToken: false,
          // The next example would start after the separator: stop there (BIG-bench stops at it too).
          stop: [...new Set([data.fewShotSeparator, '\n'].filter((s) => s.trim() !== '' || s.includes('\n')))],
        };
        items.push(item);
      }
    }
  }
  return items;
}
