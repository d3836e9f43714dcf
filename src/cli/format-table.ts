import type { MeanCI } from '../lib/metrics/aggregate.ts';
import type { RunResult } from '../lib/results/types.ts';

const COLUMNS: { id: string; label: string; digits: number }[] = [
  { id: 'exact_match', label: 'exact match', digits: 2 },
  { id: 'predicted_exact_match', label: 'p^L', digits: 2 },
  { id: 'per_token_prob', label: 'per-token p', digits: 3 },
  { id: 'token_edit_distance', label: 'token edit', digits: 2 },
  { id: 'char_edit_distance', label: 'char edit', digits: 2 },
  { id: 'digit_accuracy', label: 'digit acc', digits: 2 },
  { id: 'target_logprob', label: 'log-prob', digits: 2 },
];

function cell(s: MeanCI | undefined, digits: number): string {
  return s ? `${s.mean.toFixed(digits)} [${s.lo.toFixed(digits)},${s.hi.toFixed(digits)}]` : '-';
}

/** One table per task variant: models x metrics, each "mean [95% CI]". */
export function formatRunTable(result: RunResult): string {
  const lines: string[] = [];
  const variants = result.models.find((m) => m.status === 'done')?.aggregates.variants.map((v) => v.variant) ?? [];
  const nameWidth = Math.max(12, ...result.models.map((m) => m.id.length));
  for (const variant of variants) {
    const rows = result.models.map((m) => {
      const agg = m.aggregates.variants.find((v) => v.variant === variant);
      const params = m.params === null ? '?' : m.params.toLocaleString('en-US');
      if (m.status !== 'done' || !agg) return [m.id, params, `${m.status}: ${m.error ?? ''}`];
      return [m.id, params, ...COLUMNS.map((c) => cell(agg.metrics[c.id], c.digits))];
    });
    const header = ['model', 'params', ...COLUMNS.map((c) => c.label)];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    widths[0] = Math.max(widths[0], nameWidth);
    const fmt = (r: string[]) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ');
    lines.push(`\n${variant} (n=${result.models[0]?.aggregates.variants.find((v) => v.variant === variant)?.n ?? '?'} per model, mean [95% bootstrap CI])`);
    lines.push(fmt(header));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) lines.push(fmt(r));
    const em = result.emergence[variant];
    if (em) {
      lines.push(`emergence score: ` + ['exact_match', 'per_token_prob', 'token_edit_distance', 'target_logprob'].filter((k) => k in em).map((k) => `${k} ${em[k].toFixed(2)}`).join(', '));
    }
  }
  return lines.join('\n');
}
