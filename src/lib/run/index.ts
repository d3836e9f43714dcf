export * from './results.ts';
export * from './runner.ts';
export * from './score-model.ts';
