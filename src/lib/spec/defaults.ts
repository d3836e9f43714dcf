/** Version of the app that made a spec or a run; part of every spec (numbers may change across versions). */
export const APP_VERSION = '0.1.0';
