import { MetricsError } from './errors.js';
import { Metric, type MetricContext, type MetricOptions } from './metric.js';
import type { CounterSnapshot } from './snapshot.js';

/** Options of a counter; its name must end in `_total`. */
export type CounterOptions<L extends string> = MetricOptions<L>;

/** A counter bound to one label set: keep it for the hot path. */
export interface CounterChild {
  /**
   * Adds `amount` (default 1).
   * @throws MetricsError `invalid_value` when `amount` is negative, NaN or infinite.
   */
  inc(amount?: number): void;
}

class CounterSeries implements CounterChild {
  value = 0;

  constructor(private readonly metric: string) {}

  inc(amount = 1): void {
    if (!(amount >= 0 && amount !== Infinity)) {
      throw new MetricsError('invalid_value', this.metric, `a counter only goes up by a finite amount, got ${amount}`);
    }
    this.value += amount;
  }
}

/** A value that only goes up (requests, errors, bytes sent). */
export class Counter<L extends string = never> extends Metric<L, CounterSeries, CounterChild> {
  constructor(options: CounterOptions<L>, context: MetricContext) {
    super('counter', options, context, () => new CounterSeries(options.name));
  }

  /** Adds to a counter without labels. */
  inc(amount?: number): void {
    this.unlabelled().inc(amount);
  }

  snapshot(): CounterSnapshot {
    return { type: 'counter', ...this.snapshotOf((series) => ({ value: series.value })) };
  }
}
