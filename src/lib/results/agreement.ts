/**
 * Does a run reproduce the reference? The page ships the default experiment's results computed
 * in Node (onnxruntime-node, CPU; scripts/reference.ts) and shows them at first paint; when the
 * visitor runs the same experiment on their device, this says how many items came out the same.
 *
 * "Agree" means the same greedy output: for a generated answer, the same output tokens (and so
 * the same text); for a multiple-choice item, the same preferred choice. Exact match and every
 * output-based metric then agree too. Log-probs are floats computed by different kernels (WASM
 * SIMD vs native CPU, different summation orders), so they are compared by their largest
 * absolute difference, not for equality. Pure: no DOM, no engine.
 */
import type { ExperimentSpec } from '../spec/schema.ts';
import { isChoiceRecord, pickedChoice, type ItemRecord, type ModelRun } from './types.ts';

/** One item whose greedy output differs from the reference's. */
export interface ItemDisagreement {
  modelId: string;
  itemId: string;
  variant: string;
  /** The reference's output (a choice item: the text of the preferred choice). */
  reference: string;
  /** This run's output. */
  here: string;
}

export interface ReferenceAgreement {
  /** Items present in both runs for models both finished. */
  compared: number;
  /** Of those, items with the same greedy output. */
  agree: number;
  /** Models both runs finished (the ones compared). */
  models: number;
  /** Reference items not compared (their model did not finish here, or the item is missing). */
  notCompared: number;
  /** Largest |log p_reference − log p_here| over every target token and choice log-likelihood compared (nats); null when none was. */
  maxLogprobDiff: number | null;
  /** Where that largest difference is. */
  maxLogprobDiffAt: { modelId: string; itemId: string } | null;
  /** Every item that differs, in reference order. */
  disagreements: ItemDisagreement[];
}

/** JSON with object keys sorted, so two equal values have one text whatever order their keys were built in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The spec without what only says where it runs (each model's device). */
function withoutDevice(spec: ExperimentSpec): unknown {
  return { ...spec, models: spec.models.map(({ device: _device, ...rest }) => rest) };
}

/**
 * Whether two specs describe the same experiment, ignoring only the device of each model
 * (webgpu, wasm, cpu): the items, models, dtypes, metrics and seeds must all be equal. Only then
 * is comparing item by item meaningful.
 */
export function sameExperiment(a: ExperimentSpec, b: ExperimentSpec): boolean {
  return canonical(withoutDevice(a)) === canonical(withoutDevice(b));
}

function outputOf(item: ItemRecord): string {
  return isChoiceRecord(item) ? (item.choices[pickedChoice(item)] ?? '') : item.output_text;
}

function sameOutput(a: ItemRecord, b: ItemRecord): boolean {
  if (isChoiceRecord(a) || isChoiceRecord(b)) return isChoiceRecord(a) && isChoiceRecord(b) && pickedChoice(a) === pickedChoice(b);
  return a.output_text === b.output_text && a.output_token_ids.length === b.output_token_ids.length && a.output_token_ids.every((t, i) => t === b.output_token_ids[i]);
}

/** Pairs of log-probs that measure the same thing in both items (same target tokens, or same choice). */
function logprobPairs(a: ItemRecord, b: ItemRecord): [number, number][] {
  if (isChoiceRecord(a) && isChoiceRecord(b)) {
    return a.choice_logprobs.length === b.choice_logprobs.length ? a.choice_logprobs.map((x, i) => [x, b.choice_logprobs[i]]) : [];
  }
  if (isChoiceRecord(a) || isChoiceRecord(b)) return [];
  const same = a.target_token_ids.length === b.target_token_ids.length && a.target_token_ids.every((t, i) => t === b.target_token_ids[i]);
  return same && a.target_logprobs.length === b.target_logprobs.length ? a.target_logprobs.map((x, i) => [x, b.target_logprobs[i]]) : [];
}

/**
 * Compare a run with the reference item by item, over the models both finished. The caller
 * checks first that both ran the same experiment (sameExperiment).
 */
export function compareWithReference(reference: { models: readonly ModelRun[] }, run: { models: readonly ModelRun[] }): ReferenceAgreement {
  const out: ReferenceAgreement = { compared: 0, agree: 0, models: 0, notCompared: 0, maxLogprobDiff: null, maxLogprobDiffAt: null, disagreements: [] };
  for (const ref of reference.models) {
    const here = run.models.find((m) => m.id === ref.id);
    if (ref.status !== 'done' || !here || here.status !== 'done') {
      out.notCompared += ref.items.length;
      continue;
    }
    out.models++;
    const byId = new Map(here.items.map((i) => [i.id, i]));
    for (const a of ref.items) {
      const b = byId.get(a.id);
      if (!b) {
        out.notCompared++;
        continue;
      }
      out.compared++;
      if (sameOutput(a, b)) out.agree++;
      else out.disagreements.push({ modelId: ref.id, itemId: a.id, variant: a.variant, reference: outputOf(a), here: outputOf(b) });
      for (const [x, y] of logprobPairs(a, b)) {
        const d = Math.abs(x - y);
        // NaN never enters a run (the engine rejects non-finite log-probs), but would read as "no difference" here.
        const diff = Number.isNaN(d) ? Infinity : d;
        if (out.maxLogprobDiff === null || diff > out.maxLogprobDiff) {
          out.maxLogprobDiff = diff;
          out.maxLogprobDiffAt = { modelId: ref.id, itemId: a.id };
        }
      }
    }
  }
  return out;
}

/** "1400 of 1400 items agree with the reference (same greedy output); largest log-prob difference 2.4e-6 nats." */
export function describeAgreement(a: ReferenceAgreement): string {
  if (a.compared === 0) return 'No item could be compared with the reference: no model finished in both runs.';
  const diff = a.maxLogprobDiff === null ? '' : `; largest log-prob difference ${formatDiff(a.maxLogprobDiff)} nats`;
  const skipped = a.notCompared > 0 ? ` (${a.notCompared} reference item${a.notCompared === 1 ? '' : 's'} not re-run)` : '';
  return `${a.agree} of ${a.compared} items agree with the reference (same greedy output)${diff}${skipped}.`;
}

/** A log-prob difference as people read it: 0, 2.4e-6, 0.013. */
export function formatDiff(d: number): string {
  if (d === 0) return '0';
  if (!Number.isFinite(d)) return 'unbounded';
  return d < 0.01 ? d.toExponential(1) : d.toPrecision(2);
}
