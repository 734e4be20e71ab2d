import { MetricsError } from './errors.js';
import { Metric, type MetricContext, type MetricOptions, type MetricsClock } from './metric.js';
import { Sketch, resolveSketchOptions, type SketchOptions } from './sketch.js';
import type { HistogramSeriesSnapshot, HistogramSnapshot } from './snapshot.js';

/**
 * Default bucket upper bounds, in seconds: request latencies from 5 ms to
 * 10 s (the Prometheus client default).
 */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Options of a histogram. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /**
   * Bucket upper bounds in the metric's unit (seconds for latency): finite,
   * strictly ascending; the +Inf bucket is added.
   * @default the registry's `defaultBuckets` ({@link DEFAULT_BUCKETS})
   */
  buckets?: readonly number[];
  /**
   * Also feed a quantile sketch per series, for p50/p95/p99 in the JSON
   * summary: `true` for the registry's sketch settings, or settings of its own.
   * @default false
   */
  sketch?: boolean | SketchOptions;
}

/** A histogram bound to one label set: keep it for the hot path. */
export interface HistogramChild {
  /** Records one value; NaN and ±Infinity are ignored and counted in `metrics_observations_dropped_total`. */
  observe(value: number): void;
  /**
   * Starts timing on the registry's monotonic clock; calling the returned
   * function observes the elapsed seconds and returns them.
   */
  startTimer(): () => number;
}

/** What every series of one histogram shares. */
interface HistogramShape {
  readonly bounds: Float64Array;
  readonly sketch: Required<SketchOptions> | null;
  readonly clock: MetricsClock;
  readonly onInvalid: () => void;
}

/** Above this many bounds a binary search beats a linear scan. */
const LINEAR_SCAN_MAX = 16;

class HistogramSeries implements HistogramChild {
  /** Per-bucket counts, not cumulative; the last one is the +Inf bucket. */
  readonly counts: Float64Array;
  readonly sketch: Sketch | null;
  sum = 0;

  constructor(private readonly shape: HistogramShape) {
    this.counts = new Float64Array(shape.bounds.length + 1);
    this.sketch = shape.sketch === null ? null : new Sketch(shape.sketch);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) {
      this.shape.onInvalid();
      return;
    }
    const bounds = this.shape.bounds;
    const n = bounds.length;
    let i = 0;
    if (n <= LINEAR_SCAN_MAX) {
      while (i < n && value > bounds[i]!) i++;
    } else {
      // First bound >= value: bucket upper bounds are inclusive (`le`).
      let hi = n;
      while (i < hi) {
        const mid = (i + hi) >>> 1;
        if (bounds[mid]! < value) i = mid + 1;
        else hi = mid;
      }
    }
    this.counts[i]!++;
    this.sum += value;
    if (this.sketch !== null) this.sketch.add(value);
  }

  startTimer(): () => number {
    const clock = this.shape.clock;
    const start = clock.monotonicMs();
    return () => {
      const seconds = (clock.monotonicMs() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }
}

/**
 * Counts observations in fixed buckets (Prometheus semantics: cumulative
 * `_bucket{le}`, `_sum`, `_count`), and optionally in a quantile sketch.
 * Memory per series is constant: nothing is kept per observation.
 */
export class Histogram<L extends string = never> extends Metric<L, HistogramSeries, HistogramChild> {
  readonly buckets: readonly number[];
  readonly sketchOptions: Required<SketchOptions> | null;

  constructor(options: HistogramOptions<L>, context: MetricContext) {
    const buckets = validateBuckets(options.name, options.buckets ?? context.defaultBuckets);
    const sketch =
      options.sketch === undefined || options.sketch === false
        ? null
        : resolveSketchOptions(options.sketch === true ? context.sketch : options.sketch, options.name);
    const shape: HistogramShape = {
      bounds: Float64Array.from(buckets),
      sketch,
      clock: context.clock,
      onInvalid: () => context.onInvalidObservation(options.name),
    };
    super('histogram', options, context, () => new HistogramSeries(shape));
    this.buckets = buckets;
    this.sketchOptions = sketch;
  }

  observe(value: number): void {
    this.unlabelled().observe(value);
  }

  startTimer(): () => number {
    return this.unlabelled().startTimer();
  }

  snapshot(includeSketches: boolean): HistogramSnapshot {
    return {
      type: 'histogram',
      buckets: [...this.buckets],
      sketch: this.sketchOptions,
      ...this.snapshotOf((series): Omit<HistogramSeriesSnapshot, 'labels'> => {
        const out: Omit<HistogramSeriesSnapshot, 'labels'> = { counts: Array.from(series.counts), sum: series.sum };
        if (includeSketches && series.sketch !== null) out.sketch = series.sketch.toState();
        return out;
      }),
    };
  }
}

function validateBuckets(metric: string, buckets: readonly number[]): number[] {
  if (buckets.length === 0) throw new MetricsError('invalid_option', metric, 'buckets must not be empty');
  buckets.forEach((bound, i) => {
    if (!Number.isFinite(bound)) {
      throw new MetricsError('invalid_option', metric, `bucket bounds must be finite (+Inf is added), got ${bound}`);
    }
    if (i > 0 && !(bound > buckets[i - 1]!)) {
      throw new MetricsError('invalid_option', metric, `bucket bounds must be strictly ascending, ${bound} follows ${buckets[i - 1]}`);
    }
  });
  return [...buckets];
}
