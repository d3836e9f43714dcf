/**
 * Typed errors of the share path. Each carries a message a visitor can act on (the UI shows
 * it as text) and a short code the UI can branch on without parsing messages.
 */

export type RunFileErrorCode = 'empty' | 'too-large' | 'not-json' | 'not-a-run' | 'newer-version' | 'invalid';

/** A run file (JSON export) that cannot be imported. */
export class RunFileError extends Error {
  override name = 'RunFileError';
  constructor(
    message: string,
    readonly code: RunFileErrorCode,
    /** Paths of the offending fields with what is wrong, e.g. "models.0.items.3.metrics.exact_match: …". */
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}

export type LinkDecodeErrorCode = 'not-a-link' | 'newer-version' | 'too-large' | 'damaged' | 'invalid';

/**
 * A share link that cannot be opened: malformed, cut off, changed, oversized or from a newer
 * lab. `cause` is set only when an unexpected error was caught (a bug worth reporting).
 */
export class LinkDecodeError extends Error {
  override name = 'LinkDecodeError';
  constructor(
    message: string,
    readonly code: LinkDecodeErrorCode,
    readonly issues: string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type LinkEncodeErrorCode = 'too-long' | 'invalid-run';

/** A run that cannot become a link: too large even without per-item results, or not a valid run. */
export class LinkEncodeError extends Error {
  override name = 'LinkEncodeError';
  constructor(
    message: string,
    readonly code: LinkEncodeErrorCode,
    /** Length of the shortest link we could make, in characters (too-long only). */
    readonly chars: number | null = null,
    /** The budget it had to fit, in characters (too-long only). */
    readonly limit: number | null = null,
  ) {
    super(message);
  }
}
