import { MetricsError } from './errors.js';
import { validateLabelNames, validateMetricName, type MetricType } from './names.js';
import { SeriesTable, type LabelValues } from './series-table.js';
import type { SketchOptions } from './sketch.js';
import type { MetricSnapshot } from './snapshot.js';

/** Options every metric takes. */
export interface MetricOptions<L extends string> {
  /**
   * Prometheus metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`, in base units
   * (`_seconds`, `_bytes`); counters end in `_total`.
   */
  name: string;
  /** HELP text: what is measured, in one sentence. Required, non-empty. */
  help: string;
  /**
   * Label names, declared up front; every observation gives a value for each.
   * @default []
   */
  labelNames?: readonly L[];
  /**
   * Most distinct label sets kept; beyond it new label sets fold into one
   * series whose values are all `other`, and `metrics_series_dropped_total`
   * rises.
   * @default the registry's `maxSeriesPerMetric` (1000)
   */
  maxSeries?: number;
}

/** Clock of a registry; injected in tests. */
export interface MetricsClock {
  /** Wall-clock time, epoch milliseconds (snapshot timestamps). */
  nowMs(): number;
  /** Monotonic time in milliseconds (durations measured by timers). */
  monotonicMs(): number;
}

/** What a metric needs from its registry. */
export interface MetricContext {
  readonly maxSeries: number;
  readonly clock: MetricsClock;
  /** Bucket bounds for histograms that declare none. */
  readonly defaultBuckets: readonly number[];
  /** Sketch settings for histograms created with `sketch: true`. */
  readonly sketch: SketchOptions;
  /** A label set beyond the cap was folded into the `other` series. */
  onSeriesDropped(metric: string): void;
  /** A histogram observation was NaN or infinite and was ignored. */
  onInvalidObservation(metric: string): void;
}

/**
 * Common part of counters, gauges and histograms: name, labels and the series
 * table. `S` is the series class, `C` the child interface callers see.
 */
export abstract class Metric<L extends string, S extends C, C> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  protected readonly table: SeriesTable<S>;

  protected constructor(
    readonly type: MetricType,
    options: MetricOptions<L>,
    context: MetricContext,
    createSeries: () => S,
  ) {
    const { name, help } = options;
    validateMetricName(name, type);
    if (typeof help !== 'string' || help.trim() === '') {
      throw new MetricsError('invalid_option', name, 'help text is required');
    }
    const labelNames = options.labelNames ?? [];
    validateLabelNames(name, labelNames, type);
    const maxSeries = options.maxSeries ?? context.maxSeries;
    if (!(Number.isInteger(maxSeries) && maxSeries >= 1)) {
      throw new MetricsError('invalid_option', name, `maxSeries must be a positive integer, got ${maxSeries}`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = [...labelNames];
    this.table = new SeriesTable(name, this.labelNames, maxSeries, createSeries, () => context.onSeriesDropped(name));
  }

  /** How many series exist now (at most maxSeries + 1). */
  get seriesCount(): number {
    return this.table.entries.length;
  }

  /** A copy of the current values for exposition and merging. */
  abstract snapshot(includeSketches: boolean): MetricSnapshot;

  /**
   * The child bound to one label set, created on first use (the `other`
   * series past the cap). Keep it for the hot path: recording through it
   * does no lookup at all.
   */
  labels(values: LabelValues<L>): C {
    return this.table.get(values);
  }

  /** The one series of a metric without labels. */
  protected unlabelled(): S {
    const series = this.table.unlabelled;
    if (series === undefined) {
      throw new MetricsError(
        'invalid_label',
        this.name,
        `has labels (${this.labelNames.join(', ')}); record through labels({...})`,
      );
    }
    return series;
  }

  /** Name, help and label names for a snapshot, plus each series' label values and what `read` takes from it. */
  protected snapshotOf<T extends object>(
    read: (series: S) => T,
  ): { name: string; help: string; labelNames: string[]; series: (T & { labels: string[] })[] } {
    return {
      name: this.name,
      help: this.help,
      labelNames: [...this.labelNames],
      series: this.table.entries.map(({ values, series }) => ({ labels: [...values], ...read(series) })),
    };
  }
}
