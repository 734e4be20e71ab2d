import { escapeHelp, escapeLabelValue, formatBound, formatLabelPairs, formatNumber } from './format.js';
import type { HistogramSnapshot, MetricSnapshot, Snapshot } from './snapshot.js';

/**
 * Renders snapshots as text exposition: Prometheus 0.0.4 and OpenMetrics 1.0.
 * One renderer serves an instance (`registry.snapshot()`) and the fleet
 * (`mergeSnapshots(...)`).
 */

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** A rendered scrape body and the Content-Type to send it with. */
export interface Exposition {
  contentType: string;
  body: string;
}

/** Prometheus text format 0.0.4. */
export function renderPrometheus(snapshot: Snapshot): string {
  let out = '';
  for (const metric of snapshot.metrics) out += renderMetric(metric, false);
  return out;
}

/**
 * OpenMetrics 1.0 text: counter families are named without `_total` on their
 * HELP/TYPE lines, HELP escapes quotes too, and the body ends with `# EOF`.
 */
export function renderOpenMetrics(snapshot: Snapshot): string {
  let out = '';
  for (const metric of snapshot.metrics) out += renderMetric(metric, true);
  return `${out}# EOF\n`;
}

/** Renders in the given format, with its Content-Type. */
export function render(snapshot: Snapshot, format: ExpositionFormat = 'prometheus'): Exposition {
  return format === 'openmetrics'
    ? { contentType: OPENMETRICS_CONTENT_TYPE, body: renderOpenMetrics(snapshot) }
    : { contentType: PROMETHEUS_CONTENT_TYPE, body: renderPrometheus(snapshot) };
}

/**
 * Picks the format from an Accept header: OpenMetrics when the client lists
 * `application/openmetrics-text` (as Prometheus does) with a non-zero q, else
 * the Prometheus text format.
 */
export function formatFromAccept(accept: string | null | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (type !== 'application/openmetrics-text') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'prometheus';
}

function renderMetric(metric: MetricSnapshot, openMetrics: boolean): string {
  const family = openMetrics && metric.type === 'counter' ? metric.name.slice(0, -'_total'.length) : metric.name;
  const help = openMetrics ? escapeLabelValue(metric.help) : escapeHelp(metric.help);
  let out = `# HELP ${family} ${help}\n# TYPE ${family} ${metric.type}\n`;
  if (metric.type === 'histogram') return out + renderHistogram(metric);
  for (const series of metric.series) {
    const pairs = formatLabelPairs(metric.labelNames, series.labels);
    // Non-finite gauge values are stored already spelled as the format wants ('NaN', '+Inf').
    const value = typeof series.value === 'number' ? formatNumber(series.value) : series.value;
    out += `${metric.name}${pairs === '' ? '' : `{${pairs}}`} ${value}\n`;
  }
  return out;
}

function renderHistogram(metric: HistogramSnapshot): string {
  const { name } = metric;
  const les = metric.buckets.map((bound) => `le="${formatBound(bound)}"} `);
  les.push('le="+Inf"} ');
  let out = '';
  for (const series of metric.series) {
    const pairs = formatLabelPairs(metric.labelNames, series.labels);
    const bucketPrefix = pairs === '' ? `${name}_bucket{` : `${name}_bucket{${pairs},`;
    let cumulative = 0;
    for (let i = 0; i < les.length; i++) {
      cumulative += series.counts[i] ?? 0;
      out += `${bucketPrefix}${les[i]}${cumulative}\n`;
    }
    const block = pairs === '' ? '' : `{${pairs}}`;
    out += `${name}_sum${block} ${formatNumber(series.sum)}\n${name}_count${block} ${cumulative}\n`;
  }
  return out;
}
