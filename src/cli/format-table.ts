import type { MeanCI } from '../lib/metrics/aggregate.ts';
import { getMetric, METRICS } from '../lib/metrics/registry.ts';
import type { RunResult } from '../lib/results/types.ts';
import { variantLabelOf } from '../lib/tasks/registry.ts';

/** Columns of the CLI table, from the metric registry: the per-item metrics that are means of small numbers. */
const HIDDEN = new Set(['mean_token_logprob', 'greedy_consistency', 'mc_grade_norm']);

function cell(s: MeanCI | undefined, digits: number): string {
  return s ? `${s.mean.toFixed(digits)} [${s.lo.toFixed(digits)},${s.hi.toFixed(digits)}]` : '-';
}

/** One table per task variant: models x metrics (those the variant was aggregated under), each "mean [95% CI]". */
export function formatRunTable(result: RunResult): string {
  const lines: string[] = [];
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
    lines.push(`\n${variantLabelOf(result.spec.task, variant)} [${variant}] (n=${n} per model, mean [95% CI])`);
    lines.push(fmt(header));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) lines.push(fmt(r));
    const em = result.emergence[variant];
    if (em && Object.keys(em).length > 0) {
      lines.push(`emergence score: ` + columns.filter((c) => c.id in em).map((c) => `${getMetric(c.id).shortLabel} ${em[c.id].toFixed(2)}`).join(', '));
    }
  }
  return lines.join('\n');
}
