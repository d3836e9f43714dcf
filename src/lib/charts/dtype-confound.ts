/**
 * A ladder's curve compares models at different scales; if some rungs ran with other weights
 * precision (q8 among q4, fp16 among fp32), the jump between them mixes scale with quantization
 * error. This finds the dtype most rungs share and marks the rungs that differ, with the legend
 * sentence that says what the mark means. Pure: the chart draws the marks.
 */

export interface RungDtype {
  /** Model id as the chart labels it. */
  id: string;
  dtype: string;
}

export interface DtypeConfound {
  /** The dtype most rungs share (ties: the one the smallest rung uses); null for no rungs. */
  baseline: string | null;
  /** Ids of rungs whose dtype differs from the baseline, in ladder order. */
  marked: string[];
  /** id -> true when that rung is marked. */
  differs: Record<string, boolean>;
  /** One sentence for the legend, or null when every rung shares one dtype. */
  legend: string | null;
}

/** Rungs in ladder order (smallest first); the same model listed twice counts once per listing. */
export function dtypeConfound(rungs: readonly RungDtype[]): DtypeConfound {
  const counts = new Map<string, number>();
  for (const r of rungs) counts.set(r.dtype, (counts.get(r.dtype) ?? 0) + 1);
  let baseline: string | null = null;
  let best = 0;
  // Map iteration follows first appearance, so a tie goes to the dtype of the smaller rungs.
  for (const [dtype, n] of counts) {
    if (n > best) {
      best = n;
      baseline = dtype;
    }
  }
  const marked = rungs.filter((r) => r.dtype !== baseline).map((r) => r.id);
  const differs = Object.fromEntries(rungs.map((r) => [r.id, r.dtype !== baseline]));
  if (marked.length === 0 || baseline === null) return { baseline, marked: [], differs, legend: null };
  const others = [...new Set(rungs.filter((r) => r.dtype !== baseline).map((r) => r.dtype))];
  const legend =
    `Marked rungs ran in ${others.join(', ')}, the others in ${baseline}: ` +
    'between them the curve mixes model scale with weight precision (a confound), so a jump there may be quantization, not scale.';
  return { baseline, marked, differs, legend };
}
