/**
 * The one error type of the metrics module. Every invalid input (NaN or infinite
 * log-probability, mismatched lengths, empty target, …) throws it, so a caller never receives
 * NaN or ±Infinity as a metric value. Messages name the field and say what to fix.
 */
export class MetricError extends Error {
  override readonly name = 'MetricError';

  constructor(message: string) {
    super(message);
  }
}
