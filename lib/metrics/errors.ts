/** Why a metrics call was refused; stable, safe to match on. */
export type MetricsErrorReason =
  /** The metric name breaks the Prometheus rules or the naming conventions (suffix, base unit). */
  | 'invalid_name'
  /** A label name is invalid, reserved, repeated, or a label value is missing. */
  | 'invalid_label'
  /** A metric with this name (or one of the sample names it produces) is already registered. */
  | 'duplicate'
  /** An option is out of range (buckets, series cap, sketch accuracy, ...). */
  | 'invalid_option'
  /** A value cannot be recorded (a counter decreased, a non-finite increment). */
  | 'invalid_value';

/**
 * The one error the metrics library throws. Construction-time checks throw it
 * with the metric's name in the message; the hot path only throws it for
 * programmer errors (a missing label, a negative counter increment).
 */
export class MetricsError extends Error {
  static readonly code = 'E_METRICS';
  override readonly name = 'MetricsError';
  readonly code = MetricsError.code;
  readonly reason: MetricsErrorReason;
  /** The metric concerned, when there is one. */
  readonly metric: string | undefined;

  constructor(reason: MetricsErrorReason, metric: string | undefined, message: string, options?: { cause?: unknown }) {
    super(metric === undefined ? message : `metric "${metric}": ${message}`, options);
    this.reason = reason;
    this.metric = metric;
  }
}
