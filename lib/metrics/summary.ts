import { Sketch } from './sketch.js';
import {
  decodeNumber,
  type CounterSnapshot,
  type GaugeMerge,
  type HistogramSeriesSnapshot,
  type HistogramSnapshot,
  type MetricSnapshot,
  type Snapshot,
} from './snapshot.js';

/**
 * The JSON summary: the numbers a dashboard wants (totals, rates, p50/p95/p99)
 * computed from a snapshot, an instance's or a merged fleet's.
 */

/** Options of {@link summarize}. */
export interface SummaryOptions {
  /**
   * Quantiles reported for histograms, each in [0, 1]; keys are `p` + 100·q
   * (`p50`, `p99.9`).
   * @default [0.5, 0.95, 0.99]
   */
  quantiles?: readonly number[];
  /**
   * An earlier snapshot of the same source(s); when given, counters and
   * histogram counts get a per-second rate over the interval between the two.
   * @default undefined (no rates)
   */
  previous?: Snapshot;
}

export type Labels = Record<string, string>;
/** Quantile estimates by key (`p50`); null when there were no observations. */
export type Quantiles = Record<string, number | null>;

export interface CounterSummary {
  total: number;
  /** Increase per second since `previous`, null without it. */
  ratePerSecond: number | null;
  series: { labels: Labels; value: number; ratePerSecond: number | null }[];
}

export interface GaugeSummary {
  merge: GaugeMerge;
  /** null stands for NaN (JSON has no NaN). */
  series: { labels: Labels; value: number | null }[];
}

export interface HistogramSummary {
  count: number;
  sum: number;
  mean: number | null;
  /** From the sketches when every series has one (within their relative accuracy), else interpolated in the buckets. */
  quantileSource: 'sketch' | 'buckets';
  quantiles: Quantiles;
  /** Observations per second since `previous`, null without it. */
  ratePerSecond: number | null;
  series: { labels: Labels; count: number; sum: number; quantiles: Quantiles; ratePerSecond: number | null }[];
}

export interface MetricsSummary {
  timestampMs: number;
  sources: number;
  /** Interval the rates cover, null without `previous`. */
  intervalMs: number | null;
  counters: Record<string, CounterSummary>;
  gauges: Record<string, GaugeSummary>;
  histograms: Record<string, HistogramSummary>;
}

export const DEFAULT_QUANTILES: readonly number[] = [0.5, 0.95, 0.99];

/** Summarises a snapshot into JSON-ready numbers. */
export function summarize(snapshot: Snapshot, options: SummaryOptions = {}): MetricsSummary {
  const quantiles = options.quantiles ?? DEFAULT_QUANTILES;
  const previous = options.previous;
  const intervalMs = previous === undefined ? null : snapshot.timestampMs - previous.timestampMs;
  const perSecond = (now: number, before: number | undefined): number | null =>
    before === undefined || intervalMs === null ? null : rateOf(before, now, intervalMs);
  const earlier = (name: string) => previous?.metrics.find((m) => m.name === name);
  const summary: MetricsSummary = {
    timestampMs: snapshot.timestampMs,
    sources: snapshot.sources,
    intervalMs,
    counters: {},
    gauges: {},
    histograms: {},
  };
  for (const metric of snapshot.metrics) {
    const before = earlier(metric.name);
    const labelsOf = (values: readonly string[]) => labelRecord(metric.labelNames, values);
    if (metric.type === 'counter') {
      const total = sumOf(metric.series.map((s) => s.value));
      summary.counters[metric.name] = {
        total,
        ratePerSecond: perSecond(total, before === undefined ? undefined : totalOf(before)),
        series: metric.series.map((s) => ({
          labels: labelsOf(s.labels),
          value: s.value,
          ratePerSecond: perSecond(s.value, before === undefined ? undefined : totalOf(before, s.labels)),
        })),
      };
    } else if (metric.type === 'gauge') {
      summary.gauges[metric.name] = {
        merge: metric.merge,
        series: metric.series.map((s) => {
          const value = decodeNumber(s.value);
          return { labels: labelsOf(s.labels), value: Number.isNaN(value) ? null : value };
        }),
      };
    } else {
      const all = combineHistogramSeries(metric);
      const count = sumOf(all.counts);
      summary.histograms[metric.name] = {
        count,
        sum: all.sum,
        mean: count === 0 ? null : all.sum / count,
        quantileSource: metric.sketch !== null && all.sketch !== undefined ? 'sketch' : 'buckets',
        quantiles: quantilesOf(metric, all, quantiles),
        ratePerSecond: perSecond(count, before === undefined ? undefined : totalOf(before)),
        series: metric.series.map((s) => ({
          labels: labelsOf(s.labels),
          count: sumOf(s.counts),
          sum: s.sum,
          quantiles: quantilesOf(metric, s, quantiles),
          ratePerSecond: perSecond(sumOf(s.counts), before === undefined ? undefined : totalOf(before, s.labels)),
        })),
      };
    }
  }
  return summary;
}

/**
 * Per-second increase of a counter (or of a histogram's count) between two
 * snapshots, over all series or the one with `labels`; a value that went down
 * is read as a restart (the counter counted from zero). Null when the metric
 * is missing from either snapshot or no time passed.
 */
export function rate(previous: Snapshot, current: Snapshot, name: string, labels?: Labels): number | null {
  const before = previous.metrics.find((m) => m.name === name);
  const now = current.metrics.find((m) => m.name === name);
  if (before === undefined || now === undefined) return null;
  const pick = (metric: MetricSnapshot) =>
    labels === undefined ? undefined : metric.labelNames.map((label) => labels[label] ?? '');
  return rateOf(totalOf(before, pick(before)), totalOf(now, pick(now)), current.timestampMs - previous.timestampMs);
}

/**
 * Quantile `q` of one histogram series (or, without labels, of all its series
 * together): from the sketch when there is one, else interpolated in the
 * buckets. NaN when there were no observations or the metric is not a histogram.
 */
export function quantile(snapshot: Snapshot, name: string, q: number, labels?: Labels): number {
  const metric = snapshot.metrics.find((m) => m.name === name);
  if (metric?.type !== 'histogram') return NaN;
  const series =
    labels === undefined
      ? combineHistogramSeries(metric)
      : metric.series.find((s) => metric.labelNames.every((label, i) => s.labels[i] === labels[label]));
  if (series === undefined) return NaN;
  return quantileOf(metric, series, q);
}

/**
 * Prometheus `histogram_quantile`: finds the bucket holding rank q·count and
 * interpolates linearly inside it; the first bucket starts at 0 (or at its
 * bound when that is negative), and a rank in the +Inf bucket returns the
 * highest finite bound. NaN when empty.
 *
 * @param bounds finite upper bounds, ascending
 * @param counts per-bucket counts, not cumulative, one more than `bounds`
 */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], q: number): number {
  const total = sumOf(counts);
  if (total === 0 || !(q >= 0 && q <= 1)) return NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (cumulative + inBucket >= rank && inBucket > 0) {
      const upper = bounds[i];
      if (upper === undefined) return bounds[bounds.length - 1] ?? NaN;
      const lower = i === 0 ? Math.min(0, upper) : (bounds[i - 1] as number);
      return lower + (upper - lower) * ((rank - cumulative) / inBucket);
    }
    cumulative += inBucket;
  }
  return bounds[bounds.length - 1] ?? NaN;
}

function quantilesOf(metric: HistogramSnapshot, series: HistogramSeriesSnapshot, qs: readonly number[]): Quantiles {
  const sketch = metric.sketch !== null && series.sketch !== undefined ? Sketch.fromState(series.sketch, metric.sketch) : null;
  const out: Quantiles = {};
  for (const q of qs) {
    const value = sketch === null ? bucketQuantile(metric.buckets, series.counts, q) : sketch.quantile(q);
    out[quantileKey(q)] = Number.isNaN(value) ? null : value;
  }
  return out;
}

function quantileOf(metric: HistogramSnapshot, series: HistogramSeriesSnapshot, q: number): number {
  return quantilesOf(metric, series, [q])[quantileKey(q)] ?? NaN;
}

/** `p50`, `p95`, `p99.9`. */
function quantileKey(q: number): string {
  return `p${Number((q * 100).toPrecision(12))}`;
}

/** All series of a histogram added together (sketch only when every series has one). */
function combineHistogramSeries(metric: HistogramSnapshot): HistogramSeriesSnapshot {
  const counts = new Array<number>(metric.buckets.length + 1).fill(0);
  let sum = 0;
  let sketch: Sketch | null = metric.sketch === null ? null : new Sketch(metric.sketch);
  for (const series of metric.series) {
    series.counts.forEach((c, i) => {
      counts[i] = (counts[i] ?? 0) + c;
    });
    sum += series.sum;
    if (sketch !== null && metric.sketch !== null) {
      sketch = series.sketch === undefined ? null : sketch.merge(Sketch.fromState(series.sketch, metric.sketch));
    }
  }
  const combined: HistogramSeriesSnapshot = { labels: [], counts, sum };
  if (sketch !== null) combined.sketch = sketch.toState();
  return combined;
}

/** Sum of a counter's values or a histogram's counts, over all series or those with `values`. */
function totalOf(metric: MetricSnapshot, values?: readonly string[]): number {
  let total = 0;
  for (const series of metric.series as (CounterSnapshot['series'][number] | HistogramSeriesSnapshot)[]) {
    if (values !== undefined && !values.every((v, i) => series.labels[i] === v)) continue;
    total += 'counts' in series ? sumOf(series.counts) : series.value;
  }
  return total;
}

function rateOf(before: number, now: number, intervalMs: number): number | null {
  if (!(intervalMs > 0)) return null;
  const increase = now >= before ? now - before : now;
  return increase / (intervalMs / 1000);
}

function labelRecord(names: readonly string[], values: readonly string[]): Labels {
  const out: Labels = {};
  names.forEach((name, i) => {
    out[name] = values[i] ?? '';
  });
  return out;
}

function sumOf(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
