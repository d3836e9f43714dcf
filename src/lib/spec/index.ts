export * from './schema.ts';
export * from './errors.ts';
export * from './parse.ts';
export * from './defaults.ts';
