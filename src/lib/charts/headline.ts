/**
 * The takeaway above the charts: for one task variant, the discontinuous metric (exact match,
 * or MC grade for multiple choice) and two continuous ones (per-token probability and token edit
 * distance; the probability of the correct choice and the Brier score) each min-max normalised
 * to 0–1 over the ladder on one chart, and one sentence generated from the numbers: the jump
 * share of each metric (the largest step between neighbouring models ÷ the total change,
 * metrics/jump.ts) and the mirage ratio (jump share of the discontinuous metric ÷ jump share of
 * the continuous one; Schaeffer, Miranda & Koyejo 2023: ≫ 1 means the jump lives in the metric,
 * ≈ 1 that it is in the models). Pure: no DOM, no Chart.js.
 *
 * Normalisation, per metric over the models shown: y' = (y − min) / (max − min); for a metric
 * where lower is better (edit distance, Brier score) it is inverted, y' = 1 − (y − min) / (max − min),
 * so every line rises when the models get better. A metric equal on every model has no range:
 * it is not drawn and the sentence says it is flat.
 */
import { isUndefined, jumpShare } from '../metrics/jump.ts';
import type { EmergenceMeasure, JumpShareMeasure } from '../metrics/emergenceIntervals.ts';
import { getMetric, isMetricId, type MetricId } from '../metrics/registry.ts';
import type { ModelRun, VariantEmergenceMeasures } from '../results/types.ts';
import type { TaskSpec } from '../tasks/schema.ts';
import { formatParams, modelLabel, variantLabel } from './format.ts';
import type { ChartPanel } from './series.ts';

export type HeadlineFamily = 'generation' | 'choice';

/** The headline's three metrics per family: the discontinuous one first, then the continuous ones. */
export const HEADLINE_METRICS: Record<HeadlineFamily, readonly [MetricId, MetricId, MetricId]> = {
  generation: ['exact_match', 'per_token_prob', 'token_edit_distance'],
  choice: ['mc_grade', 'prob_correct', 'brier_score'],
};

/** Names inside a sentence (lower case, what the metric is, not its table header). */
const SENTENCE_NAME: Record<string, string> = {
  exact_match: 'exact match',
  per_token_prob: 'per-token probability',
  token_edit_distance: 'token edit distance',
  mc_grade: 'MC grade',
  prob_correct: 'the probability of the correct choice',
  brier_score: 'the Brier score',
};

/** Mirage ratio at or above this: the continuous metric is clearly smoother, the jump is mostly the metric's. */
export const METRIC_JUMP_RATIO = 1.5;
/** Mirage ratio at or below this: both metrics jump alike, the jump is in the models. */
export const MODEL_JUMP_RATIO = 1.2;
/** Jump share at or above this reads as "jumps" (more than half the change in one step). */
export const JUMP_SHARE_JUMPS = 0.5;

export interface HeadlinePoint {
  modelId: string;
  params: number;
  /** Position on the x axis in use. */
  x: number;
  /** The metric's mean on this model. */
  raw: number;
  /** Min-max normalised to 0–1 (inverted where lower is better). */
  y: number;
  /** Items behind the mean. */
  n: number;
}

export interface HeadlineSeries {
  metric: MetricId;
  /** Legend text, e.g. "Token edit distance (inverted)". */
  label: string;
  inverted: boolean;
  /** The range the normalisation used (raw units), null when the metric is flat or absent. */
  range: { min: number; max: number } | null;
  /** Empty when the metric is flat or was not measured. */
  points: HeadlinePoint[];
  /** Why the series is not drawn, or null. */
  missing: string | null;
}

export interface Headline {
  variant: string;
  /** "4-digit addition". */
  subject: string;
  family: HeadlineFamily;
  /** Models in ladder order (finished, known size). */
  models: { id: string; params: number }[];
  series: HeadlineSeries[];
  /** The takeaway, generated from the numbers (plain text). */
  sentence: string;
  /** Where the jump shares came from: the run's bootstrap measures, or the means alone. */
  source: 'measures' | 'means';
}

export interface HeadlineInput {
  models: readonly ModelRun[];
  variant: string;
  task: TaskSpec | null;
  /** The run's emergence measures of this variant (results/emergence.ts), if any. */
  measures?: VariantEmergenceMeasures;
  /** Position on the x axis in use; null leaves the model off the chart (the sentence still counts it). */
  xOf?: (m: ModelRun & { params: number }) => number | null;
}

const OP_WORD: Record<string, string> = { add: 'addition', sub: 'subtraction', mul: 'multiplication' };

/** "4-digit addition", "4-digit addition (multiple choice)", or the task file's variant label. */
export function headlineSubject(task: TaskSpec | null, variant: string): string {
  const label = variantLabel(variant, task);
  if (task?.kind === 'arithmetic') return `${label} ${OP_WORD[task.operation] ?? task.operation}`;
  if (task?.kind === 'add-choice') return `${label} addition (multiple choice)`;
  return label;
}

/** Finished models with a known positive size, smallest first (the ladder the measures run along). */
function ladderOf(models: readonly ModelRun[]): (ModelRun & { params: number })[] {
  return models.filter((m): m is ModelRun & { params: number } => m.status === 'done' && m.params !== null && m.params > 0).sort((a, b) => a.params - b.params);
}

function countOf(m: ModelRun, variant: string, metric: string): number {
  const agg = m.aggregates.variants.find((v) => v.variant === variant);
  return agg && Object.hasOwn(agg.metrics, metric) ? agg.metrics[metric].n : 0;
}

function meanOf(m: ModelRun, variant: string, metric: string): number | null {
  const agg = m.aggregates.variants.find((v) => v.variant === variant);
  if (!agg || !Object.hasOwn(agg.metrics, metric)) return null;
  const x = agg.metrics[metric].mean;
  return Number.isFinite(x) ? x : null;
}

/** The family of a variant: choice when its aggregates carry MC grade and no exact match. */
export function familyOf(models: readonly ModelRun[], variant: string): HeadlineFamily {
  for (const m of models) {
    const agg = m.aggregates.variants.find((v) => v.variant === variant);
    if (!agg) continue;
    if (Object.hasOwn(agg.metrics, 'exact_match')) return 'generation';
    if (Object.hasOwn(agg.metrics, 'mc_grade')) return 'choice';
  }
  return 'generation';
}

/**
 * The default variant: the one with the largest single step up of its discontinuous metric
 * (exact match / MC grade) between neighbouring models, first on ties; the first variant when
 * no variant has a step up.
 */
export function defaultHeadlineVariant(models: readonly ModelRun[], variants: readonly string[]): string | null {
  const ladder = ladderOf(models);
  let best: string | null = null;
  let bestStep = 0;
  for (const v of variants) {
    const ref = HEADLINE_METRICS[familyOf(ladder, v)][0];
    const ys = ladder.map((m) => meanOf(m, v, ref));
    for (let i = 1; i < ys.length; i++) {
      const a = ys[i - 1];
      const b = ys[i];
      if (a !== null && b !== null && b - a > bestStep) {
        bestStep = b - a;
        best = v;
      }
    }
  }
  return best ?? variants.find((v) => ladder.some((m) => m.aggregates.variants.some((a) => a.variant === v))) ?? variants[0] ?? null;
}

/** Min-max normalisation of values, inverted where lower is better; null when every value is equal. */
export function normalise(values: readonly number[], higherIsBetter: boolean): { ys: number[]; min: number; max: number } | null {
  if (values.length === 0) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  if (!(max > min)) return null;
  const ys = values.map((v) => {
    const t = (v - min) / (max - min);
    return higherIsBetter ? t : 1 - t;
  });
  return { ys, min, max };
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function fmt(x: number): string {
  const a = Math.abs(x);
  if (a !== 0 && a < 0.01) return x.toExponential(1);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Ratios to two significant digits: 1.9, 1.03 reads as 1.0. */
const fmtRatio = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(0) : x.toFixed(1));

function scale(m: { id: string; params: number } | undefined): string {
  return m ? formatParams(m.params) : '?';
}

/** A jump share with where it happens, from the run's measures or from the means. */
interface Share {
  value: number;
  step: number;
  /** 95% interval when the measures carry one. */
  interval: { lo: number; hi: number } | null;
}

type ShareOrWhy = Share | { why: string };

function shareFromMeasure(m: JumpShareMeasure): ShareOrWhy {
  if (isUndefined(m)) return { why: m.undefined };
  return { value: m.value, step: m.step, interval: 'lo' in m ? { lo: m.lo, hi: m.hi } : null };
}

function shareFromMeans(ys: readonly number[]): ShareOrWhy {
  const j = jumpShare(ys);
  if (isUndefined(j)) return { why: j.undefined };
  return { value: j.value, step: j.step, interval: null };
}

function isShare(s: ShareOrWhy): s is Share {
  return 'value' in s;
}

function ratioOf(m: EmergenceMeasure | undefined, a: Share, b: Share): { value: number; interval: { lo: number; hi: number } | null } | null {
  if (m && !isUndefined(m)) return { value: m.value, interval: 'lo' in m ? { lo: m.lo, hi: m.hi } : null };
  if (m && isUndefined(m)) return null;
  return b.value > 0 ? { value: a.value / b.value, interval: null } : null;
}

/** The headline of one variant: normalised series and the sentence. */
export function buildHeadline(input: HeadlineInput): Headline {
  const { variant, task, measures } = input;
  const ladder = ladderOf(input.models).filter((m) => m.aggregates.variants.some((v) => v.variant === variant));
  const family = familyOf(ladder, variant);
  const [refId, contId, otherId] = HEADLINE_METRICS[family];
  const subject = headlineSubject(task, variant);
  const xOf = input.xOf ?? ((m) => m.params);
  const means = (id: MetricId): (number | null)[] => ladder.map((m) => meanOf(m, variant, id));

  const series: HeadlineSeries[] = HEADLINE_METRICS[family].map((id) => {
    const info = getMetric(id);
    const inverted = !info.higherIsBetter;
    const label = `${info.label}${inverted ? ' (inverted)' : ''}`;
    const values = means(id);
    if (values.length === 0 || values.some((v) => v === null)) return { metric: id, label, inverted, range: null, points: [], missing: 'not measured in this run' };
    if (values.length === 1) return { metric: id, label, inverted, range: null, points: [], missing: 'one model: nothing to normalise' };
    const n = normalise(values as number[], info.higherIsBetter);
    if (!n) return { metric: id, label, inverted, range: null, points: [], missing: `flat: ${fmt(values[0] as number)} on every model` };
    const points = ladder.flatMap((m, i): HeadlinePoint[] => {
      const x = xOf(m);
      return x !== null && x > 0 ? [{ modelId: m.id, params: m.params, x, raw: values[i] as number, y: n.ys[i], n: countOf(m, variant, id) }] : [];
    });
    return { metric: id, label, inverted, range: { min: n.min, max: n.max }, points, missing: null };
  });

  // Jump shares: the run's bootstrap measures when they cover this ladder, else from the means.
  const usable = measures !== undefined && measures.models.length === ladder.length && measures.models.every((id, i) => id === ladder[i].id);
  const source: Headline['source'] = usable ? 'measures' : 'means';
  const shareOf = (id: MetricId): ShareOrWhy | null => {
    const values = means(id);
    if (values.length === 0 || values.some((v) => v === null)) return null;
    if (usable && Object.hasOwn(measures.metrics, id)) return shareFromMeasure(measures.metrics[id].jumpShare);
    return shareFromMeans(values as number[]);
  };
  const mirageOf = (id: MetricId, a: Share, b: Share) => ratioOf(usable && Object.hasOwn(measures.mirage, id) ? measures.mirage[id].jumpShare : undefined, a, b);

  const sentence = describe({ subject, ladder, refId, contId, otherId, shareOf, mirageOf, means, source });
  return { variant, subject, family, models: ladder.map((m) => ({ id: m.id, params: m.params })), series, sentence, source };
}

interface DescribeArgs {
  subject: string;
  ladder: readonly (ModelRun & { params: number })[];
  refId: MetricId;
  contId: MetricId;
  otherId: MetricId;
  shareOf: (id: MetricId) => ShareOrWhy | null;
  mirageOf: (id: MetricId, a: Share, b: Share) => { value: number; interval: { lo: number; hi: number } | null } | null;
  means: (id: MetricId) => (number | null)[];
  source: Headline['source'];
}

const nameOf = (id: string): string => SENTENCE_NAME[id] ?? (isMetricId(id) ? getMetric(id).label.toLowerCase() : id);
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function ratioText(r: { value: number; interval: { lo: number; hi: number } | null }): string {
  return r.interval ? `mirage ratio ${fmtRatio(r.value)}, 95% interval ${fmtRatio(r.interval.lo)}–${fmtRatio(r.interval.hi)}` : `mirage ratio ${fmtRatio(r.value)}`;
}

/** What the continuous metric says about the reference's jump, with the mirage ratio. */
function comparison(refShare: Share, contName: string, contShare: ShareOrWhy | null, ratio: ReturnType<DescribeArgs['mirageOf']>, ladder: DescribeArgs['ladder'], refJumps: boolean): string {
  if (contShare === null) return `${contName} was not measured in this run, so there is nothing to compare with`;
  if (!isShare(contShare)) return `${contName} has no jump share (${contShare.why}), so no mirage ratio`;
  const where = contShare.step === refShare.step ? 'at the same step' : `at ${scale(ladder[contShare.step])} → ${scale(ladder[contShare.step + 1])}`;
  const step = `largest step ${pct(contShare.value)}, ${where}`;
  if (!ratio) return `${contName} has ${step}; the mirage ratio is undefined`;
  const r = ratio.value;
  const uncertain = ratio.interval !== null && ratio.interval.lo <= 1 && r >= METRIC_JUMP_RATIO ? '; its 95% interval reaches 1, so the items cannot rule out a jump in the models' : '';
  if (!refJumps) return `${contName} has its ${step} (${ratioText(ratio)})`;
  if (r >= METRIC_JUMP_RATIO) return `${contName} rises more evenly (${step}), so the jump is largely a property of the metric (${ratioText(ratio)}${uncertain})`;
  if (r <= MODEL_JUMP_RATIO) return `${contName} jumps too (${step}), so the jump is in the models, not only in the metric (${ratioText(ratio)})`;
  return `${contName} is somewhat smoother (${step}), so the metric accounts for part of the jump (${ratioText(ratio)})`;
}

function describe(a: DescribeArgs): string {
  const { subject, ladder, refId, contId, otherId } = a;
  const refName = nameOf(refId);
  const contName = nameOf(contId);
  if (ladder.length === 0) return `On ${subject}, no model has finished yet.`;
  if (ladder.length === 1) {
    const m = ladder[0];
    const values = [refId, contId]
      .map((id) => ({ id, v: a.means(id)[0] }))
      .filter((x): x is { id: MetricId; v: number } => x.v !== null)
      .map((x) => `${nameOf(x.id)} ${fmt(x.v)}`);
    return `On ${subject}, only one model (${modelLabel(m.id)}, ${formatParams(m.params)} params) has finished${values.length ? `: ${values.join(', ')}` : ''}. A jump shows only along a ladder of at least 3 models.`;
  }
  const refShare = a.shareOf(refId);
  const ys = a.means(refId);
  if (refShare === null) return `On ${subject}, ${refName} was not measured in this run, so there is no jump to explain.`;
  if (!isShare(refShare)) {
    // Flat, or too few models: say what the numbers do show.
    const first = ys[0];
    const last = ys[ys.length - 1];
    const cont = a.means(contId);
    const c0 = cont[0];
    const c1 = cont[cont.length - 1];
    const contPart = c0 !== null && c1 !== null && c0 !== c1 ? `; ${contName} goes from ${fmt(c0)} to ${fmt(c1)}` : '';
    if (ys.every((y) => y === first) && first !== null) {
      return `On ${subject}, ${refName} is flat at ${fmt(first)} on all ${ladder.length} models, so there is no jump to explain${contPart}${first === 0 && contPart ? ' — the models improve below what exact scoring can see' : ''}.`;
    }
    return `On ${subject}, ${refName} goes from ${fmt(first ?? 0)} to ${fmt(last ?? 0)} across ${ladder.length} models; its jump share is undefined (${refShare.why})${contPart}.`;
  }
  const from = ladder[refShare.step];
  const to = ladder[refShare.step + 1];
  const total = (ys[ys.length - 1] ?? 0) - (ys[0] ?? 0);
  const change = total >= 0 ? 'rise' : 'change';
  const refJumps = refShare.value >= JUMP_SHARE_JUMPS;
  const stepFrom = ys[refShare.step];
  const stepTo = ys[refShare.step + 1];
  if (stepFrom !== null && stepTo !== null && stepTo < stepFrom) {
    // The largest step is a fall: no emergence story to tell, only what the numbers do.
    return `On ${subject}, ${refName}'s largest step is a drop (${fmt(stepFrom)} → ${fmt(stepTo)} between ${scale(from)} and ${scale(to)} params), ${pct(refShare.value)} of its total change along the ladder; a jump share says nothing about emergence here.`;
  }
  const head = refJumps
    ? `On ${subject}, ${refName} jumps: ${pct(refShare.value)} of its ${change} happens in one step (${scale(from)} → ${scale(to)} params)`
    : `On ${subject}, ${refName} rises gradually: its largest step (${scale(from)} → ${scale(to)} params) holds ${pct(refShare.value)} of its ${change}`;
  const contShare = a.shareOf(contId);
  const ratio = contShare && isShare(contShare) ? a.mirageOf(contId, refShare, contShare) : null;
  const first = `${head}; ${comparison(refShare, contName, contShare, ratio, ladder, refJumps)}.`;
  const otherShare = a.shareOf(otherId);
  let second = '';
  if (otherShare && isShare(otherShare)) {
    const r = a.mirageOf(otherId, refShare, otherShare);
    second = ` ${capital(nameOf(otherId))}: largest step ${pct(otherShare.value)}${r ? ` (${ratioText(r)})` : ''}.`;
  } else if (otherShare) {
    second = ` ${capital(nameOf(otherId))}: no jump share (${otherShare.why}).`;
  }
  const note = a.source === 'means' ? ' (Jump shares from the means alone: this view has no per-item measures.)' : '';
  return `${first}${second}${note}`;
}

/** Palette indices of the headline's lines (one per metric; the legend names them). */
export const HEADLINE_COLORS = [3, 4, 2] as const;

/**
 * The headline as a chart panel (the same component, data table and PNG export as the metric
 * panels): one line per metric, normalised values as means, no intervals (a min-max rescaling
 * of the means has none of its own).
 */
export function headlinePanel(h: Headline): ChartPanel {
  const drawn = h.series.filter((s) => s.points.length > 0);
  return {
    id: 'headline',
    title: `${h.subject}: three metrics on one scale`,
    description: `Each metric rescaled to 0–1 between its lowest and highest mean over the models shown (min-max over the ladder)${h.series.some((s) => s.inverted) ? `; ${h.series.filter((s) => s.inverted).map((s) => getMetric(s.metric).label.toLowerCase()).join(' and ')} inverted (1 − normalised value), so every line rises as the models improve` : ''}.`,
    kind: 'overlay',
    yLabel: 'Min-max normalised (0–1)',
    yMin: 0,
    yMax: 1,
    series: drawn.map((s) => ({
      key: `${s.metric}|${h.variant}`,
      variant: h.variant,
      metric: s.metric,
      label: s.label,
      colorIndex: HEADLINE_COLORS[HEADLINE_METRICS[h.family].indexOf(s.metric)] ?? 0,
      dashed: false,
      points: s.points.map((p) => ({ modelId: p.modelId, params: p.params, x: p.x, variant: h.variant, metric: s.metric, mean: p.y, lo: p.y, hi: p.y, n: p.n })),
    })),
    measures: [],
    variantLabels: { [h.variant]: h.subject },
  };
}
