export * from '../results/types.ts';
export * from './runner.ts';
export * from '../results/records.ts';
