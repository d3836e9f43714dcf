/** Pure shaping of run results for the UI: charts, tables, progress, the form. No DOM here. */
export * from './palette.ts';
export * from './format.ts';
export * from './series.ts';
export * from './resolution.ts';
export * from './plot.ts';
export * from './items.ts';
export * from './progress.ts';
export * from './form.ts';
export * from './export.ts';
