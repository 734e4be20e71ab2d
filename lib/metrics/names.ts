import { MetricsError } from './errors.js';

/** The three metric types the registry knows. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

// Prometheus data model: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Units that are not base units, mapped to the base unit to use instead
 * (Prometheus naming guide: "use base units", seconds and bytes). Checked on the
 * last word of the name, before `_total`.
 */
const NON_BASE_UNITS: Readonly<Record<string, string>> = {
  ms: 'seconds',
  msec: 'seconds',
  millis: 'seconds',
  millisecond: 'seconds',
  milliseconds: 'seconds',
  us: 'seconds',
  usec: 'seconds',
  microseconds: 'seconds',
  ns: 'seconds',
  nanoseconds: 'seconds',
  sec: 'seconds',
  secs: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  kb: 'bytes',
  kib: 'bytes',
  kilobytes: 'bytes',
  mb: 'bytes',
  mib: 'bytes',
  megabytes: 'bytes',
  gb: 'bytes',
  gib: 'bytes',
  gigabytes: 'bytes',
};

/** Suffixes a histogram adds to its samples; other metrics must not end with them. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * Checks a metric name against the Prometheus character rules and the house
 * conventions: counters end in `_total`, nothing else does, histogram sample
 * suffixes are reserved, and units are base units (seconds, bytes).
 *
 * @throws MetricsError `invalid_name`, naming the metric.
 */
export function validateMetricName(name: string, type: MetricType): void {
  if (!METRIC_NAME.test(name)) {
    throw new MetricsError('invalid_name', name, 'name must match [a-zA-Z_:][a-zA-Z0-9_:]*');
  }
  const isTotal = name.endsWith('_total');
  if (type === 'counter' && !isTotal) {
    throw new MetricsError('invalid_name', name, 'counter names must end in "_total"');
  }
  if (type !== 'counter' && isTotal) {
    throw new MetricsError('invalid_name', name, `only counters may end in "_total", this is a ${type}`);
  }
  if (type === 'counter' && name.length === '_total'.length) {
    throw new MetricsError('invalid_name', name, 'counter names need a word before "_total"');
  }
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (name.endsWith(suffix)) {
      throw new MetricsError('invalid_name', name, `"${suffix}" is reserved for histogram samples`);
    }
  }
  const stem = isTotal ? name.slice(0, -'_total'.length) : name;
  const unit = stem.slice(stem.lastIndexOf('_') + 1).toLowerCase();
  const base = NON_BASE_UNITS[unit];
  if (base !== undefined) {
    throw new MetricsError('invalid_name', name, `"${unit}" is not a base unit; record ${base} and name it "_${base}"`);
  }
}

/**
 * Checks the declared label names of a metric: valid characters, not starting
 * with `__` (reserved for Prometheus internals), no repeats, and no `le` on a
 * histogram (its bucket label).
 *
 * @throws MetricsError `invalid_label`, naming the metric and the label.
 */
export function validateLabelNames(metric: string, labelNames: readonly string[], type: MetricType): void {
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (!LABEL_NAME.test(label)) {
      throw new MetricsError('invalid_label', metric, `label "${label}" must match [a-zA-Z_][a-zA-Z0-9_]*`);
    }
    if (label.startsWith('__')) {
      throw new MetricsError('invalid_label', metric, `label "${label}" starts with "__", which is reserved`);
    }
    if (type === 'histogram' && label === 'le') {
      throw new MetricsError('invalid_label', metric, 'label "le" is reserved for histogram buckets');
    }
    if (seen.has(label)) {
      throw new MetricsError('invalid_label', metric, `label "${label}" is declared twice`);
    }
    seen.add(label);
  }
}

/**
 * Every family and sample name a metric puts on the wire, in both exposition
 * formats; two metrics that share any of them would produce an ambiguous scrape.
 */
export function reservedNames(name: string, type: MetricType): string[] {
  if (type === 'counter') return [name, name.slice(0, -'_total'.length)];
  if (type === 'histogram') return [name, ...HISTOGRAM_SUFFIXES.map((suffix) => name + suffix)];
  return [name];
}
