/** A spec (from a link, a file, storage or the form) that cannot be used; the message says why. */
export class SpecError extends Error {
  override name = 'SpecError';
  constructor(
    message: string,
    /** Paths of the offending fields, e.g. ["task.digits[2]"]. */
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}
