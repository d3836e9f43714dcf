import type { MeanCI } from '../lib/metrics/aggregate.ts';
import { getMetric, METRICS } from '../lib/metrics/registry.ts';
import { describePrediction, measureRows, referenceLabel } from '../lib/charts/measures.ts';
import { computeEmergenceMeasures, predictionItemsOf, predictVariantJump } from '../lib/results/emergence.ts';
import { intervalLegend, intervalStyleOf, type RunResult } from '../lib/results/types.ts';
import { variantLabelOf } from '../lib/tasks/registry.ts';

/** Columns of the CLI table, from the metric registry: the per-item metrics that are means of small numbers. */
const HIDDEN = new Set(['mean_token_logprob', 'greedy_consistency', 'mc_grade_norm']);

function cell(s: MeanCI | undefined, digits: number): string {
  return s ? `${s.mean.toFixed(digits)} [${s.lo.toFixed(digits)},${s.hi.toFixed(digits)}]` : '-';
}

/**
 * One table per task variant: models x metrics (those the variant was aggregated under), each
 * "mean [95% interval]", then the variant's emergence measures (jump share and breakthroughness
 * with intervals, the mirage ratios) and whether the jump was predictable from the smaller
 * models (fit below `cutoff`; default the rung before the largest exact-match step).
 */
export function formatRunTable(result: RunResult, opts: { cutoff?: number } = {}): string {
  const lines: string[] = [`Intervals: ${intervalLegend(intervalStyleOf(result))}.`];
  // Files from before the measures existed: computed from their items (same seed).
  const measures = result.emergence_measures ?? computeEmergenceMeasures(result.models, result.spec.bootstrapSeed);
  const predictionModels = result.models.map((m) => ({ id: m.id, params: m.params, ...(m.scale ? { scale: m.scale } : {}), status: m.status, items: predictionItemsOf(m) }));
  const variants = result.models.find((m) => m.status === 'done')?.aggregates.variants.map((v) => v.variant) ?? [];
  const nameWidth = Math.max(12, ...result.models.map((m) => m.id.length));
  for (const variant of variants) {
    const present = new Set(result.models.flatMap((m) => Object.keys(m.aggregates.variants.find((v) => v.variant === variant)?.metrics ?? {})));
    const columns = METRICS.filter((m) => present.has(m.id) && !HIDDEN.has(m.id));
    const rows = result.models.map((m) => {
      const agg = m.aggregates.variants.find((v) => v.variant === variant);
      const params = m.params === null ? '?' : m.params.toLocaleString('en-US');
      if (m.status !== 'done' || !agg) return [m.id, params, `${m.status}: ${m.error ?? ''}`];
      return [m.id, params, ...columns.map((c) => cell(agg.metrics[c.id], c.decimals))];
    });
    const header = ['model', 'params', ...columns.map((c) => c.shortLabel)];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    widths[0] = Math.max(widths[0], nameWidth);
    const fmt = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ');
    const n = result.models.find((m) => m.status === 'done')?.aggregates.variants.find((v) => v.variant === variant)?.n ?? '?';
    lines.push(`\n${variantLabelOf(result.spec.task, variant)} [${variant}] (n=${n} per model, mean [95% interval])`);
    lines.push(fmt(header));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) lines.push(fmt(r));
    const vm = Object.hasOwn(measures, variant) ? measures[variant] : undefined;
    if (vm) {
      const rows = measureRows(vm, columns.map((c) => c.id), result.models);
      const w = Math.max(...rows.map((r) => r.label.length));
      lines.push(`jump share (largest step / total change, 95% bootstrap interval):`);
      for (const r of rows) lines.push(`  ${r.label.padEnd(w)}  ${r.jumpShare}`);
      lines.push(`breakthroughness (Srivastava et al. 2022):`);
      for (const r of rows) lines.push(`  ${r.label.padEnd(w)}  ${r.breakthroughness}`);
      const ref = referenceLabel(vm);
      const mirage = rows.filter((r) => r.mirage);
      if (mirage.length > 0) {
        lines.push(`mirage ratio (${ref} / metric; ≫ 1: the jump is in the metric, ≈ 1: in the models):`);
        for (const r of mirage) lines.push(`  ${r.label.padEnd(w)}  jump share ${r.mirage!.jumpShare}; breakthroughness ${r.mirage!.breakthroughness}`);
      }
    }
    if (getMetric(columns[0]?.id ?? 'exact_match').family === 'generation') {
      lines.push(`Was the jump predictable? ${describePrediction(predictVariantJump(predictionModels, variant, result.spec.bootstrapSeed, opts.cutoff))}`);
    }
  }
  return lines.join('\n');
}
