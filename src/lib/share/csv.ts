/**
 * runToCsv: one row per model × item, RFC 4180 (comma-separated, CRLF line ends, fields with
 * a comma, quote, CR or LF in double quotes, quotes doubled).
 *
 * Formula injection (OWASP "CSV Injection"): spreadsheets run a cell that starts with
 * = + - @ (or TAB, CR, LF) as a formula, and model outputs are untrusted text. Such a cell gets a
 * leading single quote, unless the whole cell is a plain decimal number such as -1801 or
 * -3.25e-7: a number cannot be a formula, and subtraction targets and log-probs must stay
 * numbers. Metric columns are always numbers written by String(x) (shortest exact form).
 */
import { itemOutput, type RunResult } from '../results/types.ts';

export const CSV_FIXED_COLUMNS = ['model', 'params', 'dtype', 'device', 'item_id', 'variant', 'prompt', 'target', 'output'] as const;

const PLAIN_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;
const FORMULA_START = /^[=+\-@\t\r\n]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A text cell: neutralized if it could run as a formula, then quoted if needed. */
export function csvTextCell(text: string): string {
  const safe = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvNumberCell(x: number | null): string {
  return x === null ? '' : String(x);
}

/** Metric ids in first-seen order over every item (future metrics get columns too). */
function metricColumns(result: RunResult): string[] {
  const seen = new Set<string>();
  for (const m of result.models) for (const item of m.items) for (const k of Object.keys(item.metrics)) seen.add(k);
  return [...seen];
}

export function runToCsv(result: RunResult): string {
  const metrics = metricColumns(result);
  const lines = [[...CSV_FIXED_COLUMNS, ...metrics].map(csvTextCell).join(',')];
  for (const m of result.models) {
    for (const item of m.items) {
      const values = item.metrics as Record<string, number | null | undefined>;
      lines.push(
        [
          csvTextCell(m.id),
          csvNumberCell(m.params),
          csvTextCell(m.dtype),
          csvTextCell(m.device),
          csvTextCell(item.id),
          csvTextCell(item.variant),
          csvTextCell(item.prompt),
          csvTextCell(item.target),
          csvTextCell(itemOutput(item)),
          ...metrics.map((k) => csvNumberCell(values[k] ?? null)),
        ].join(','),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}
