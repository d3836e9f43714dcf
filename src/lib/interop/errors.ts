/** Errors of the lm-evaluation-harness interop: each names the file (and line) a visitor must fix. */
export class InteropError extends Error {
  constructor(
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file: string | null = null,
    /** 1-based line of a JSONL file. */
    readonly line: number | null = null,
  ) {
    super(file ? `${file}${line !== null ? `, line ${line}` : ''}: ${message}` : message);
    this.name = 'InteropError';
  }
}
