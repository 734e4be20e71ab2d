import { MetricsError } from './errors.js';
import { Metric, type MetricContext, type MetricOptions } from './metric.js';
import { encodeNumber, type GaugeMerge, type GaugeSnapshot } from './snapshot.js';

const GAUGE_MERGES: readonly GaugeMerge[] = ['sum', 'max', 'min', 'last'];

/** Options of a gauge. */
export interface GaugeOptions<L extends string> extends MetricOptions<L> {
  /**
   * How `mergeSnapshots` combines this gauge across instances: `sum` for
   * additive quantities (in-flight requests, memory), `max`/`min` for worst or
   * earliest values (lag, start time), `last` for the newest snapshot's value.
   * @default 'sum'
   */
  merge?: GaugeMerge;
  /**
   * Called at every snapshot, before values are read, to set the gauge from
   * its source (process memory, pool size). Synchronous; when it throws, the
   * previous values stay, `metrics_collect_errors_total` rises and the
   * registry's `onCollectError` hears about it once until it succeeds again.
   */
  collect?: (gauge: Gauge<L>) => void;
}

/** A gauge bound to one label set. */
export interface GaugeChild {
  set(value: number): void;
  /** Adds `amount` (default 1). */
  inc(amount?: number): void;
  /** Subtracts `amount` (default 1). */
  dec(amount?: number): void;
}

class GaugeSeries implements GaugeChild {
  value = 0;

  set(value: number): void {
    this.value = value;
  }

  inc(amount = 1): void {
    this.value += amount;
  }

  dec(amount = 1): void {
    this.value -= amount;
  }
}

/** A value that goes up and down (in-flight requests, memory, queue depth). */
export class Gauge<L extends string = never> extends Metric<L, GaugeSeries, GaugeChild> {
  readonly merge: GaugeMerge;
  /** The collect callback bound to this gauge (a thunk keeps `L` out of the field's type). */
  private readonly collector: (() => void) | undefined;

  constructor(options: GaugeOptions<L>, context: MetricContext) {
    super('gauge', options, context, () => new GaugeSeries());
    const merge = options.merge ?? 'sum';
    if (!GAUGE_MERGES.includes(merge)) {
      throw new MetricsError('invalid_option', options.name, `merge must be one of ${GAUGE_MERGES.join(', ')}, got ${merge}`);
    }
    this.merge = merge;
    const collect = options.collect;
    this.collector = collect === undefined ? undefined : () => collect(this);
  }

  /** True when the gauge has a collect callback. */
  get collects(): boolean {
    return this.collector !== undefined;
  }

  /** Runs the collect callback, if any; the registry does so at every snapshot. */
  collect(): void {
    this.collector?.();
  }

  set(value: number): void {
    this.unlabelled().set(value);
  }

  inc(amount?: number): void {
    this.unlabelled().inc(amount);
  }

  dec(amount?: number): void {
    this.unlabelled().dec(amount);
  }

  snapshot(): GaugeSnapshot {
    return { type: 'gauge', merge: this.merge, ...this.snapshotOf((series) => ({ value: encodeNumber(series.value) })) };
  }
}
