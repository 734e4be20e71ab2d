/**
 * A single self-contained HTML report of a load test: summary tables, inline
 * SVG charts (latency percentiles, throughput, errors, VUs over time) and the
 * full results embedded as JSON. No script runs, nothing is fetched: it opens
 * from a CI artifact or an e-mail as it is. Pure.
 */
import { counts, ms, num, pct } from './format.js';
import type { EndpointSummary, RunSummary } from './recorder.js';
import { escapeHtml, lineChart } from './svg-chart.js';
import type { ThresholdResult } from './thresholds.js';

/** What the report shows. */
export interface HtmlReportInput {
  title: string;
  /** Lines of the header: target, scenario, date, git SHA... */
  meta: Record<string, string>;
  summary: RunSummary;
  thresholds: readonly ThresholdResult[];
  /** Extra findings (breakpoint, memory drift), one paragraph each. */
  notes?: readonly string[];
  /** Embedded as JSON in `<script type="application/json" id="iris-report-data">`. */
  data: unknown;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2430}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 10px;border-bottom:1px solid #e3e7ee;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f4f6fa;font-weight:600}
.pass{color:#137333;font-weight:600}.fail{color:#b3261e;font-weight:600}
.meta td{text-align:left;border:0;padding:1px 10px 1px 0}
.chart{display:block;margin:8px 0;max-width:100%;height:auto}
.chart .grid{stroke:#e8ebf0}.chart .axis{stroke:#8a94a6}.chart .tick,.chart .legend{font-size:11px;fill:#4a5568}
.chart .chart-title{font-size:13px;font-weight:600;fill:#1d2430}
.note{background:#fff8e1;border-left:3px solid #f2b600;padding:6px 10px;margin:8px 0}
`;

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`;
  // Cells are HTML already: callers escape text and may add markup (pass/fail spans).
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

function endpointRows(endpoints: readonly EndpointSummary[], overall: EndpointSummary): string[][] {
  return [...endpoints, overall].map((e) => [
    escapeHtml(e === overall ? 'all' : e.endpoint),
    num(e.requests),
    num(e.throughputPerS, 1),
    e.failed === 0 ? '0' : `${num(e.failed)} (${pct(e.errorRate)})`,
    ms(e.latencyMs?.p50),
    ms(e.latencyMs?.p90),
    ms(e.latencyMs?.p95),
    ms(e.latencyMs?.p99),
    ms(e.latencyMs?.max),
    e.latencyMs ? `${ms(e.latencyMs.mean)} ± ${ms(e.latencyMs.stddev)}` : '-',
    pct(e.cache.hitRate, 1),
    escapeHtml(counts(e.statusCodes)),
  ]);
}

/** JSON safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 escaped. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const { summary } = input;
  const series = summary.timeSeries;
  const at = <K extends keyof (typeof series)[number]>(key: K) => series.map((p) => [p.t, p[key] as number | null] as const);
  const allPass = input.thresholds.every((t) => t.pass);
  const o = summary.overall;
  const charts = [
    lineChart({
      title: 'Latency of successful requests',
      yUnit: 'ms',
      series: [
        { name: 'p50', color: '#2b6cb0', points: at('p50') },
        { name: 'p95', color: '#dd6b20', points: at('p95') },
        { name: 'p99', color: '#c53030', points: at('p99') },
      ],
    }),
    lineChart({ title: 'Throughput', yUnit: 'req/s', series: [{ name: 'completed', color: '#2f855a', points: at('rps') }] }),
    lineChart({
      title: 'Errors',
      yUnit: 'per interval',
      series: [
        { name: 'failed', color: '#c53030', points: at('failed') },
        { name: 'dropped', color: '#805ad5', points: at('dropped') },
        { name: 'late', color: '#d69e2e', points: at('late') },
      ],
    }),
    lineChart({ title: 'Virtual users (busy connections in the open model)', yUnit: 'VUs', series: [{ name: 'VUs', color: '#4a5568', points: at('vus') }] }),
  ];
  const reasons = Object.entries(o.errorReasons);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(input.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(input.title)} — <span class="${allPass ? 'pass' : 'fail'}">${allPass ? 'PASS' : 'FAIL'}</span></h1>
<table class="meta">${Object.entries(input.meta)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`)
    .join('')}</table>
${(input.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join('\n')}
<h2>Totals</h2>
${htmlTable(
  ['requests', 'failed', 'error rate', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'dropped', 'late', 'interrupted', 'duration'],
  [[num(o.requests), num(o.failed), pct(o.errorRate), num(o.throughputPerS, 1), ms(o.latencyMs?.p50), ms(o.latencyMs?.p95), ms(o.latencyMs?.p99), num(summary.dropped), num(summary.late), num(summary.interrupted), `${(summary.durationMs / 1000).toFixed(1)} s`]],
)}
<h2>Thresholds</h2>
${htmlTable(
  ['threshold', 'actual', 'result'],
  input.thresholds.map((t) => [escapeHtml(t.threshold.source), t.actual === null ? 'no data' : num(t.actual, 4), t.pass ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>']),
)}
<h2>Over time</h2>
${charts.join('\n')}
<h2>Endpoints</h2>
${htmlTable(['endpoint', 'reqs', 'req/s', 'errors', 'p50', 'p90', 'p95', 'p99', 'max', 'mean ± sd', 'cache hit', 'statuses'], endpointRows(summary.endpoints, o))}
<h2>Errors by reason</h2>
${reasons.length === 0 ? '<p>None.</p>' : htmlTable(['reason', 'count'], reasons.map(([r, c]) => [escapeHtml(r), num(c)]))}
<p>Status codes: ${escapeHtml(counts(o.statusCodes))}</p>
<script type="application/json" id="iris-report-data">${jsonForScript(input.data)}</script>
</body></html>
`;
}
