/**
 * Metrics for Iris: a registry of counters, gauges and histograms (with an
 * optional mergeable quantile sketch), bounded label cardinality, snapshots
 * that merge across a fleet, and one renderer for Prometheus 0.0.4 text,
 * OpenMetrics 1.0 text and a JSON summary. Runtime-neutral (Node and Edge);
 * `registerProcessMetrics` feature-detects what the runtime offers.
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
 * const { contentType, body } = registry.render(formatFromAccept(request.headers.get('accept')));
 * const fleet = summarize(mergeSnapshots([registry.snapshot(), ...otherInstances]));
 */
export { createRegistry, Registry, type RegistryOptions, type SnapshotOptions } from './registry.js';
export { Counter, type CounterChild, type CounterOptions } from './counter.js';
export { Gauge, type GaugeChild, type GaugeOptions } from './gauge.js';
export { DEFAULT_BUCKETS, Histogram, type HistogramChild, type HistogramOptions } from './histogram.js';
export type { MetricOptions, MetricsClock } from './metric.js';
export type { LabelValues } from './series-table.js';
export { OVERFLOW_LABEL_VALUE } from './series-table.js';
export { MetricsError, type MetricsErrorReason } from './errors.js';
export { validateLabelNames, validateMetricName, type MetricType } from './names.js';
export { Sketch, type SketchOptions, type SketchState, type SketchStoreState } from './sketch.js';
export * from './snapshot.js';
export * from './exposition.js';
export * from './format.js';
export * from './summary.js';
export { registerProcessMetrics, type ProcessLike, type ProcessMetrics, type ProcessMetricsOptions } from './process.js';
