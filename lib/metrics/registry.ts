import { Counter, type CounterOptions } from './counter.js';
import { MetricsError } from './errors.js';
import { render, type Exposition, type ExpositionFormat } from './exposition.js';
import { Gauge, type GaugeOptions } from './gauge.js';
import { DEFAULT_BUCKETS, Histogram, type HistogramOptions } from './histogram.js';
import type { MetricContext, MetricsClock } from './metric.js';
import { reservedNames } from './names.js';
import type { SketchOptions } from './sketch.js';
import type { Snapshot } from './snapshot.js';

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /**
   * Most label sets a metric keeps (a metric may set its own `maxSeries`);
   * beyond it, new label sets fold into one series whose label values are all
   * `other`, and `metrics_series_dropped_total{metric}` rises.
   * @default 1000
   */
  maxSeriesPerMetric?: number;
  /**
   * Bucket upper bounds for histograms that declare none, in the metric's unit.
   * @default DEFAULT_BUCKETS (5 ms to 10 s, in seconds)
   */
  defaultBuckets?: readonly number[];
  /**
   * Sketch settings for histograms created with `sketch: true`.
   * @default { relativeAccuracy: 0.01, maxBuckets: 2048 }
   */
  sketch?: SketchOptions;
  /**
   * Clock: `nowMs` stamps snapshots, `monotonicMs` times `startTimer()`.
   * Inject one in tests instead of sleeping.
   * @default { nowMs: Date.now, monotonicMs: performance.now }
   */
  clock?: Partial<MetricsClock>;
  /**
   * Told when a gauge's `collect` callback starts failing, once until it
   * succeeds again (failures are also counted in `metrics_collect_errors_total`).
   * @default logs a warning with console.warn
   */
  onCollectError?: (error: unknown, metric: string) => void;
}

/** Options of {@link Registry.snapshot}. */
export interface SnapshotOptions {
  /**
   * Include sketch states. Text exposition does not use them; the JSON
   * summary and fleet merges do.
   * @default true
   */
  sketches?: boolean;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

const DEFAULT_MAX_SERIES = 1000;

/**
 * Holds metrics and produces snapshots of them. Create metrics once, at module
 * load; on the hot path keep the `labels(...)` child.
 *
 * @example
 * const registry = createRegistry();
 * const latency = registry.histogram({
 *   name: 'http_request_duration_seconds',
 *   help: 'Request latency.',
 *   labelNames: ['route', 'status'],
 *   sketch: true,
 * });
 * latency.labels({ route: '/api/runs', status: '200' }).observe(0.012);
 * const { contentType, body } = registry.render('prometheus');
 */
export class Registry {
  readonly clock: MetricsClock;
  private readonly metrics = new Map<string, AnyMetric>();
  /** Every family/sample name on the wire, to the metric that owns it. */
  private readonly wireNames = new Map<string, string>();
  private readonly context: MetricContext;
  private readonly failingCollects = new Set<string>();
  private readonly onCollectError: (error: unknown, metric: string) => void;
  private readonly seriesDropped: Counter<'metric'>;
  private readonly observationsDropped: Counter<'metric'>;
  private readonly collectErrors: Counter<'metric'>;

  constructor(options: RegistryOptions = {}) {
    const maxSeries = options.maxSeriesPerMetric ?? DEFAULT_MAX_SERIES;
    if (!(Number.isInteger(maxSeries) && maxSeries >= 1)) {
      throw new MetricsError('invalid_option', undefined, `maxSeriesPerMetric must be a positive integer, got ${maxSeries}`);
    }
    this.clock = {
      nowMs: options.clock?.nowMs ?? (() => Date.now()),
      monotonicMs: options.clock?.monotonicMs ?? (() => performance.now()),
    };
    this.onCollectError =
      options.onCollectError ??
      ((error, metric) => console.warn(`metrics: collect of "${metric}" failed; keeping its last values`, error));
    this.context = {
      maxSeries,
      clock: this.clock,
      defaultBuckets: options.defaultBuckets ?? DEFAULT_BUCKETS,
      sketch: options.sketch ?? {},
      onSeriesDropped: (metric) => this.seriesDropped.labels({ metric }).inc(),
      onInvalidObservation: (metric) => this.observationsDropped.labels({ metric }).inc(),
    };
    // The registry's own metrics: one series per metric name, so their cap is
    // the number of metrics; past it they drop silently rather than recurse.
    const own: MetricContext = { ...this.context, maxSeries: 10_000, onSeriesDropped: () => {} };
    this.seriesDropped = this.add(
      new Counter(
        {
          name: 'metrics_series_dropped_total',
          help: 'Label sets folded into the "other" series because the metric reached its series cap, per lookup.',
          labelNames: ['metric'],
        },
        own,
      ),
    );
    this.observationsDropped = this.add(
      new Counter(
        {
          name: 'metrics_observations_dropped_total',
          help: 'Histogram observations ignored because the value was NaN or infinite.',
          labelNames: ['metric'],
        },
        own,
      ),
    );
    this.collectErrors = this.add(
      new Counter(
        {
          name: 'metrics_collect_errors_total',
          help: 'Gauge collect callbacks that threw; the gauge kept its previous values.',
          labelNames: ['metric'],
        },
        own,
      ),
    );
  }

  /** Creates and registers a counter. @throws MetricsError on an invalid or duplicate definition. */
  counter<L extends string = never>(options: CounterOptions<L>): Counter<L> {
    return this.add(new Counter(options, this.context));
  }

  /** Creates and registers a gauge. @throws MetricsError on an invalid or duplicate definition. */
  gauge<L extends string = never>(options: GaugeOptions<L>): Gauge<L> {
    return this.add(new Gauge(options, this.context));
  }

  /** Creates and registers a histogram. @throws MetricsError on an invalid or duplicate definition. */
  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    return this.add(new Histogram(options, this.context));
  }

  /** A registered metric by name. */
  get(name: string): AnyMetric | undefined {
    return this.metrics.get(name);
  }

  /**
   * Runs the gauges' collect callbacks, then copies every value into a
   * JSON-serialisable snapshot (user metrics first, the registry's own last).
   */
  snapshot(options: SnapshotOptions = {}): Snapshot {
    const sketches = options.sketches ?? true;
    for (const metric of this.metrics.values()) {
      if (metric instanceof Gauge && metric.collects) this.runCollect(metric);
    }
    const own = new Set<AnyMetric>([this.seriesDropped, this.observationsDropped, this.collectErrors]);
    const ordered = [...this.metrics.values()].filter((m) => !own.has(m)).concat([...own]);
    return {
      version: 1,
      timestampMs: this.clock.nowMs(),
      sources: 1,
      metrics: ordered.map((metric) => metric.snapshot(sketches)),
    };
  }

  /** Snapshot (without sketches) rendered in a text exposition format, with its Content-Type. */
  render(format: ExpositionFormat = 'prometheus'): Exposition {
    return render(this.snapshot({ sketches: false }), format);
  }

  private runCollect(gauge: Gauge<string>): void {
    try {
      gauge.collect();
      this.failingCollects.delete(gauge.name);
    } catch (error) {
      this.collectErrors.labels({ metric: gauge.name }).inc();
      if (!this.failingCollects.has(gauge.name)) {
        this.failingCollects.add(gauge.name);
        this.onCollectError(error, gauge.name);
      }
    }
  }

  private add<M extends AnyMetric>(metric: M): M {
    const names = reservedNames(metric.name, metric.type);
    for (const wire of names) {
      const owner = this.wireNames.get(wire);
      if (owner !== undefined) {
        const what = owner === metric.name ? 'is already registered' : `clashes with "${owner}" on the name "${wire}"`;
        throw new MetricsError('duplicate', metric.name, what);
      }
    }
    for (const wire of names) this.wireNames.set(wire, metric.name);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}

/** Creates a metrics registry. See {@link RegistryOptions}. */
export function createRegistry(options: RegistryOptions = {}): Registry {
  return new Registry(options);
}
