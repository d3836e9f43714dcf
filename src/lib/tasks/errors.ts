/** A task configuration that cannot produce items; the message says what to change. */
export class TaskError extends Error {
  override name = 'TaskError';
}
