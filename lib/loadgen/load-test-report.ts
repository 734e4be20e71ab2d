/**
 * The load test's outputs, pure: the end-of-run summary for the terminal and
 * the self-contained HTML report.
 */
import { counts, endpointTable, mib, ms, num, pct } from './format.js';
import { renderHtmlReport } from './html-report.js';
import type { LoadTestResult } from './load-test.js';
import type { RunMetadata } from './run-metadata.js';
import type { ThresholdResult } from './thresholds.js';

/** What `--json` writes. */
export interface LoadTestReport {
  meta: RunMetadata;
  result: LoadTestResult;
}

function thresholdLine(t: ThresholdResult): string {
  const actual = t.actual === null ? 'no data' : Number(t.actual.toPrecision(4)).toString();
  return `  ${t.pass ? 'pass' : 'FAIL'}  ${t.threshold.source}  (actual: ${actual})`;
}

/** Findings beyond the tables: the breakpoint and the memory drift. */
export function loadTestNotes(result: LoadTestResult): string[] {
  const notes: string[] = [];
  const b = result.breakpoint;
  if (b !== null) {
    notes.push(
      b.found
        ? `Breakpoint: over the last ${b.windowMs / 1000} s, ${b.failed.join(' and ')} at about ${num(b.ratePerS, 1)} req/s (${num((b.elapsedMs ?? 0) / 1000, 1)} s in).`
        : `No breakpoint: every threshold held over each ${b.windowMs / 1000} s window up to the highest rate of the ramp.`,
    );
  }
  const m = result.memory;
  if (m.source === null) {
    notes.push(`Memory drift: unavailable (${m.reason ?? 'no source'}).`);
  } else if (m.samples.length >= 2) {
    const first = m.samples[0]!;
    const last = m.samples[m.samples.length - 1]!;
    const where = m.source === 'in-process' ? 'this process (server and load generator together)' : 'the server (/api/metrics)';
    // A trend needs a few samples over at least a minute; extrapolating two points a few seconds apart to an hour says nothing.
    const trend =
      m.samples.length >= 5 && last.t - first.t >= 60
        ? `; trend ${mib(m.rssDriftBytesPerHour, true)}/h rss, ${mib(m.heapDriftBytesPerHour, true)}/h heap (least squares over ${m.samples.length} samples)`
        : '';
    notes.push(`Memory of ${where}: rss ${mib(first.rssBytes)} → ${mib(last.rssBytes)}, heap ${mib(first.heapUsedBytes)} → ${mib(last.heapUsedBytes)}${trend}.`);
  }
  return notes;
}

/** The end-of-run summary: totals, errors by status and reason, endpoints, thresholds. */
export function formatLoadTest(report: LoadTestReport): string {
  const { meta, result } = report;
  const s = result.summary;
  const o = s.overall;
  const out = [
    `Iris load test "${result.scenario.name}": ${result.scenario.description}`,
    `target ${meta.target.url} (${meta.target.kind}), ${meta.date}, git ${meta.gitSha?.slice(0, 12) ?? 'unknown'}`,
    '',
    `totals: ${num(o.requests)} requests in ${(s.durationMs / 1000).toFixed(1)} s (${num(o.throughputPerS, 1)} req/s), ` +
      `${num(o.failed)} failed (${pct(o.errorRate)}), dropped ${num(s.dropped)}, late ${num(s.late)}, interrupted ${num(s.interrupted)}`,
    `latency of successful requests: p50 ${ms(o.latencyMs?.p50)} ms, p95 ${ms(o.latencyMs?.p95)} ms, p99 ${ms(o.latencyMs?.p99)} ms, max ${ms(o.latencyMs?.max)} ms`,
    `status codes: ${counts(o.statusCodes)}`,
    `errors by reason: ${counts(o.errorReasons)}`,
    '',
    endpointTable(s.endpoints, o),
    '',
    'thresholds:',
    ...result.thresholds.map(thresholdLine),
  ];
  const notes = loadTestNotes(result);
  if (notes.length > 0) out.push('', ...notes);
  out.push('', `RESULT: ${result.pass ? 'PASS' : 'FAIL'}`);
  return out.join('\n');
}

/** The HTML report with the whole report embedded as data. */
export function loadTestHtml(report: LoadTestReport): string {
  const { meta, result } = report;
  return renderHtmlReport({
    title: `Iris load test: ${result.scenario.name}`,
    meta: {
      scenario: result.scenario.description,
      target: `${meta.target.url} (${meta.target.kind})`,
      date: meta.date,
      git: `${meta.gitSha ?? 'unknown'}${meta.gitDirty ? ' (dirty)' : ''}`,
      machine: `${meta.machine.cpus} × ${meta.machine.cpuModel}, node ${meta.machine.node}`,
    },
    summary: result.summary,
    thresholds: result.thresholds,
    notes: loadTestNotes(result),
    data: report,
  });
}
