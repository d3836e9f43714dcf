import type { GenerationItemRecord } from '../../../src/lib/results/types.ts';
import { describe, expect, it } from 'vitest';
import { CSV_FIXED_COLUMNS, runToCsv } from '../../../src/lib/share/index.ts';
import { csvTextCell } from '../../../src/lib/share/csv.ts';
import { syntheticRun } from './synthetic-run.ts';

/** A minimal RFC 4180 reader, to check that what we write parses back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

// Generous limit: the suite takes seconds, but the machine may be shared (no timing is tested).
describe('runToCsv', { timeout: 60_000 }, () => {
  const run = syntheticRun({ models: 2, digits: [1, 2], perVariant: 3 });

  it('one row per model × item, fixed columns then every metric', () => {
    const rows = parseCsv(runToCsv(run));
    expect(rows[0]).toEqual([...CSV_FIXED_COLUMNS, ...Object.keys(run.models[0].items[0].metrics)]);
    expect(rows).toHaveLength(1 + 2 * 6);
    const item = run.models[1].items[4] as GenerationItemRecord;
    const row = rows[1 + 6 + 4];
    expect(row.slice(0, 9)).toEqual([run.models[1].id, String(run.models[1].params), 'fp32', 'webgpu', item.id, item.variant, item.prompt, item.target, item.output_text]);
    expect(row.slice(9).map(Number)).toEqual(Object.values(item.metrics).map((v) => (v === null ? 0 : v)));
    expect(row[9 + 4]).toBe(String(item.metrics.target_logprob)); // negative number, no quote prefix
  });

  it('RFC 4180: CRLF line ends, quotes around commas, quotes and newlines, quotes doubled', () => {
    const r = structuredClone(run);
    r.models = [r.models[0]];
    r.models[0].items = [{ ...(r.models[0].items[0] as GenerationItemRecord), prompt: 'a, "b"\nc', output_text: 'x\r\ny' }];
    const csv = runToCsv(r);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv).toContain('"a, ""b""\nc"');
    expect(parseCsv(csv)[1][6]).toBe('a, "b"\nc');
    expect(parseCsv(csv)[1][8]).toBe('x\r\ny');
  });

  it('formula injection: = + - @ TAB CR LF get a quote prefix, plain numbers do not', () => {
    for (const evil of ['=1+1', '+SUM(A1)', '-2+3+cmd|" /C calc"!A0', '@SUM(1)', '\t=1', '\r=1', '\n=1', '=HYPERLINK("http://x")', '-', '+1']) {
      expect(csvTextCell(evil).replace(/^"/, '')).toMatch(/^'/);
    }
    for (const ok of ['-1801', '-3.25', '-1.5e-7', '1801', '0', 'hello', '1+1', ' =1']) expect(csvTextCell(ok)).toBe(ok);
    const r = structuredClone(run);
    r.models[0].items[0] = { ...(r.models[0].items[0] as GenerationItemRecord), output_text: '=cmd|"/C calc"!A0', target: '-42' };
    const rows = parseCsv(runToCsv(r));
    expect(rows[1][8]).toBe(`'=cmd|"/C calc"!A0`);
    expect(rows[1][7]).toBe('-42');
  });

  it('null metrics are empty cells; models without items add no rows', () => {
    const r = structuredClone(run);
    (r.models[0].items[0] as GenerationItemRecord).metrics.digit_accuracy = null;
    r.models[1].items = [];
    const rows = parseCsv(runToCsv(r));
    expect(rows).toHaveLength(1 + 6);
    expect(rows[1][CSV_FIXED_COLUMNS.length + 3]).toBe('');
  });
});
