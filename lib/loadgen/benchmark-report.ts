/**
 * The benchmark's outputs, all pure: the readable report, the before/after
 * table of a `--baseline` run, the comparison with an earlier JSON result
 * (`--compare`), and the Prometheus text exposition (`--prometheus`).
 */
import { escapeHelp, formatLabelPairs, formatNumber } from '../metrics/index.js';
import type { PhaseName, PhaseResult, BenchmarkResult } from './benchmark.js';
import { closestCall, latencyMargins, noiseWords, rateLine } from './benchmark-verdict.js';
import { counts, endpointTable, mib, ms, num, pct, table } from './format.js';
import type { EndpointSummary } from './recorder.js';
import type { RunMetadata } from './run-metadata.js';

/** What `--json` writes and `--compare` reads. */
export interface BenchmarkReport {
  meta: RunMetadata;
  result: BenchmarkResult;
}

function describe(p: PhaseResult): string {
  const model = p.model === 'open' ? `open model, ${num(p.ratePerS, 0)} req/s` : `closed model, ${p.concurrency} connection${p.concurrency === 1 ? '' : 's'}`;
  return `${p.phase}${p.variant === 'baseline' ? ' — cache bypassed' : ''} (${model}, ${(p.summary.durationMs / 1000).toFixed(1)} s)`;
}

function phaseBlock(p: PhaseResult): string {
  const s = p.summary;
  const o = s.overall;
  const lines = [`== ${describe(p)} ==`, endpointTable(s.endpoints, o)];
  lines.push(`statuses: ${counts(o.statusCodes)}   failures: ${counts(o.errorReasons)}`);
  if (o.failedLatencyMs) lines.push(`failed requests, latency apart: p50 ${ms(o.failedLatencyMs.p50)} ms, p99 ${ms(o.failedLatencyMs.p99)} ms, max ${ms(o.failedLatencyMs.max)} ms`);
  lines.push(`X-Cache: ${counts(o.cache.xCache)}   x-vercel-cache: ${counts(o.cache.vercelCache)}   db time: ${o.db.reported === 0 ? 'not reported' : `${ms(o.db.meanMs)} ms mean over ${num(o.db.reported)} responses`}`);
  if (p.model === 'open') {
    const service = o.serviceLatencyMs;
    lines.push(
      `schedule: late ${num(s.late)} (sent > 10 ms after their time), dropped ${num(s.dropped)}, interrupted ${num(s.interrupted)}; ` +
        `p99 from scheduled time ${ms(o.latencyMs?.p99)} ms vs from send ${ms(service?.p99)} ms`,
    );
  }
  if (p.noise !== null) lines.push(`machine meanwhile: ${noiseWords(p.noise)}`);
  return lines.join('\n');
}

/** The targets table: one row per check, one column per measured phase. */
function checksTable(phases: readonly PhaseResult[]): string {
  const cached = phases.filter((p) => p.variant === 'cached');
  const sources = [...new Set(cached.flatMap((p) => p.checks.map((c) => c.threshold.source)))];
  const rows = sources.map((source) => [
    source,
    ...cached.map((p) => {
      const c = p.checks.find((x) => x.threshold.source === source);
      if (c === undefined) return '-';
      const actual = c.actual === null ? 'no data' : c.threshold.metric === 'http_req_duration' ? `${ms(c.actual)} ms` : pct(c.actual, 1);
      return `${actual} ${c.pass ? 'pass' : 'FAIL'}`;
    }),
  ]);
  return table(['target', ...cached.map((p) => p.phase)], rows);
}

function change(before: number | null, after: number | null, lowerIsBetter: boolean): string {
  if (before === null || after === null || before === 0) return '-';
  const ratio = after / before;
  const better = lowerIsBetter ? ratio < 1 : ratio > 1;
  return `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)}%${ratio === 1 ? '' : better ? ' better' : ' worse'}`;
}

/** Before (cache bypassed) and after (cached) per phase: p95, p99, cache hit rate, throughput, database time. */
export function beforeAfterTable(phases: readonly PhaseResult[]): string | null {
  const rows: string[][] = [];
  for (const after of phases.filter((p) => p.variant === 'cached')) {
    const before = phases.find((p) => p.variant === 'baseline' && p.phase === after.phase);
    if (before === undefined) continue;
    const b = before.summary.overall;
    const a = after.summary.overall;
    rows.push(
      [`${after.phase}: p95 ms`, ms(b.latencyMs?.p95), ms(a.latencyMs?.p95), change(b.latencyMs?.p95 ?? null, a.latencyMs?.p95 ?? null, true)],
      [`${after.phase}: p99 ms`, ms(b.latencyMs?.p99), ms(a.latencyMs?.p99), change(b.latencyMs?.p99 ?? null, a.latencyMs?.p99 ?? null, true)],
      [`${after.phase}: cache hit rate`, pct(b.cache.hitRate, 1), pct(a.cache.hitRate, 1), ''],
      [`${after.phase}: throughput req/s`, num(b.throughputPerS, 1), num(a.throughputPerS, 1), after.model === 'open' ? '(fixed rate)' : change(b.throughputPerS, a.throughputPerS, false)],
      [`${after.phase}: db ms/request`, ms(b.db.perRequestMs), ms(a.db.perRequestMs), change(b.db.perRequestMs, a.db.perRequestMs, true)],
    );
  }
  return rows.length === 0 ? null : table(['before → after', 'no cache', 'cache', 'change'], rows);
}

/** The latency check nearest its limit, which says how far the verdict is from flipping. */
function marginLine(result: BenchmarkResult): string | null {
  const c = closestCall(latencyMargins(result.phases));
  if (c === null) return null;
  return `closest to a limit: ${c.phase} ${c.check} at ${ms(c.actualMs)} ms, ${pct(c.used, 0)} of the limit${c.pass ? '' : ' (failed)'}`;
}

/** The whole readable report. */
export function formatBenchmark(report: BenchmarkReport): string {
  const { meta, result } = report;
  const out: string[] = [];
  out.push(`Iris benchmark: ${meta.target.url} (${meta.target.kind}), ${meta.date}, git ${meta.gitSha?.slice(0, 12) ?? 'unknown'}${meta.gitDirty ? ' (dirty)' : ''}`);
  out.push(`machine: ${meta.machine.cpus} × ${meta.machine.cpuModel}, ${mib(meta.machine.totalMemBytes)}, node ${meta.machine.node}`);
  out.push(`warm-up: ${num(result.warmup.requests)} requests, ${num(result.warmup.failed)} failed`);
  const line = rateLine(result.rate.source, result.rate.perS, result.rate.headroom);
  if (line !== null) out.push(line);
  out.push('');
  for (const p of result.phases) out.push(phaseBlock(p), '');
  const comparison = beforeAfterTable(result.phases);
  if (comparison !== null) out.push('== before/after: cache bypassed vs cached ==', comparison, '');
  out.push('== server ==');
  const { before, after, delta } = result.serverMetrics;
  if (before.ok && after.ok) {
    const a = after.metrics;
    out.push(
      `/api/metrics (${a.instance ?? 'instance?'}): requests +${num(delta?.requests)}, server p50/p95/p99 ${ms(a.p50Ms)}/${ms(a.p95Ms)}/${ms(a.p99Ms)} ms, ` +
        `server cache hit rate ${pct(a.cacheHitRate, 1)}, db p95 ${ms(a.dbP95Ms)} ms, rss ${mib(a.rssBytes)} (${mib(delta?.rssBytes, true)}), heap ${mib(a.heapUsedBytes)} (${mib(delta?.heapUsedBytes, true)})` +
        (delta?.sameInstance === false ? '; readings came from different instances, so deltas mix instances' : ''),
    );
  } else {
    out.push(`/api/metrics: ${before.ok ? (after.ok ? '' : after.reason) : before.reason}`);
  }
  if (result.inProcessMemory) {
    const { before: b, after: a } = result.inProcessMemory;
    out.push(`in-process memory (server and load generator together): rss ${mib(a.rssBytes)} (${mib(a.rssBytes - b.rssBytes, true)}), heap ${mib(a.heapUsedBytes)} (${mib(a.heapUsedBytes - b.heapUsedBytes, true)})`);
  }
  out.push('', '== targets ==', checksTable(result.phases));
  const margin = marginLine(result);
  if (margin !== null) out.push(margin);
  for (const note of result.notes) out.push(`note: ${note}`);
  out.push('', `RESULT: ${result.pass ? 'PASS' : 'FAIL'}`);
  return out.join('\n');
}

// --compare ------------------------------------------------------------------

/** Options of {@link compareBenchmarks}. */
export interface CompareOptions {
  /**
   * Relative worsening of p95, p99 or closed-model throughput flagged as a regression.
   * @default 0.2
   */
  maxRelativeChange?: number;
  /**
   * A latency change smaller than this is never a regression, ms (noise floor).
   * @default 1
   */
  minLatencyDeltaMs?: number;
  /**
   * Rise of the error rate (absolute) flagged as a regression.
   * @default 0.005
   */
  maxErrorRateRise?: number;
  /**
   * Fall of the cache hit rate (absolute) flagged as a regression.
   * @default 0.05
   */
  maxCacheHitRateFall?: number;
}

export interface ComparisonRow {
  phase: PhaseName;
  metric: 'p95 ms' | 'p99 ms' | 'throughput req/s' | 'error rate' | 'cache hit rate';
  old: number | null;
  current: number | null;
  regression: boolean;
  /** Why the rows of a phase may not be comparable (a different arrival rate). */
  note?: string;
}

/** Compares the cached phases of two results, phase by phase. */
export function compareBenchmarks(old: BenchmarkReport, current: BenchmarkReport, options: CompareOptions = {}): ComparisonRow[] {
  const rel = options.maxRelativeChange ?? 0.2;
  const floor = options.minLatencyDeltaMs ?? 1;
  const errRise = options.maxErrorRateRise ?? 0.005;
  const hitFall = options.maxCacheHitRateFall ?? 0.05;
  const rows: ComparisonRow[] = [];
  for (const now of current.result.phases.filter((p) => p.variant === 'cached')) {
    const then = old.result.phases.find((p) => p.variant === 'cached' && p.phase === now.phase);
    if (then === undefined) continue;
    const o: EndpointSummary = then.summary.overall;
    const c: EndpointSummary = now.summary.overall;
    const first = rows.length;
    const latency = (metric: 'p95 ms' | 'p99 ms', key: 'p95' | 'p99') => {
      const a = o.latencyMs?.[key] ?? null;
      const b = c.latencyMs?.[key] ?? null;
      rows.push({ phase: now.phase, metric, old: a, current: b, regression: a !== null && b !== null && b > a * (1 + rel) && b - a >= floor });
    };
    latency('p95 ms', 'p95');
    latency('p99 ms', 'p99');
    if (now.model === 'closed') {
      rows.push({ phase: now.phase, metric: 'throughput req/s', old: o.throughputPerS, current: c.throughputPerS, regression: c.throughputPerS < o.throughputPerS * (1 - rel) });
    }
    rows.push({ phase: now.phase, metric: 'error rate', old: o.errorRate, current: c.errorRate, regression: c.errorRate > o.errorRate + errRise });
    const ha = o.cache.hitRate;
    const hb = c.cache.hitRate;
    rows.push({ phase: now.phase, metric: 'cache hit rate', old: ha, current: hb, regression: ha !== null && (hb === null || hb < ha - hitFall) });
    if (now.ratePerS !== then.ratePerS) {
      const note = `rates differ: ${num(then.ratePerS, 0)} vs ${num(now.ratePerS, 0)} req/s (pass --rate to compare like with like)`;
      for (const row of rows.slice(first)) row.note = note;
    }
  }
  return rows;
}

export function formatComparison(rows: readonly ComparisonRow[], oldMeta: RunMetadata): string {
  const fmt = (r: ComparisonRow, v: number | null) => (r.metric === 'error rate' || r.metric === 'cache hit rate' ? pct(v, 2) : r.metric === 'throughput req/s' ? num(v, 1) : ms(v));
  return [
    `== compared with ${oldMeta.date} (git ${oldMeta.gitSha?.slice(0, 12) ?? 'unknown'}) ==`,
    table(
      ['phase', 'metric', 'before', 'now', ''],
      rows.map((r) => [r.phase, r.metric, fmt(r, r.old), fmt(r, r.current), r.regression ? 'REGRESSION' : '']),
    ),
    ...[...new Set(rows.flatMap((r) => (r.note === undefined ? [] : [`note (${r.phase}): ${r.note}`])))],
  ].join('\n');
}

// --prometheus ----------------------------------------------------------------

/** Milliseconds as seconds, to the microsecond (no float noise like 0.0015190000000000002). */
const seconds = (msValue: number) => Math.round(msValue * 1000) / 1e6;

interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter' | 'summary';
  samples: string[];
}

/** The results in the Prometheus text format 0.0.4 (gauges, counters and summaries; seconds, ratios). */
export function renderBenchmarkPrometheus(report: BenchmarkReport): string {
  const { meta, result } = report;
  const families = new Map<string, Family>();
  const sample = (name: string, help: string, type: Family['type'], labels: Record<string, string>, value: number, suffix = '') => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, help, type, samples: [] };
      families.set(name, family);
    }
    const pairs = formatLabelPairs(Object.keys(labels), Object.values(labels));
    family.samples.push(`${name}${suffix}${pairs === '' ? '' : `{${pairs}}`} ${formatNumber(value)}`);
  };
  sample('iris_benchmark_info', 'The run: tool, target and git commit.', 'gauge', { target: meta.target.url, kind: meta.target.kind, git_sha: meta.gitSha ?? 'unknown' }, 1);
  sample('iris_benchmark_timestamp_seconds', 'When the run started, Unix time.', 'gauge', {}, Date.parse(meta.date) / 1000);
  sample('iris_benchmark_passed', '1 when every target and threshold passed.', 'gauge', {}, result.pass ? 1 : 0);
  const DURATION = 'iris_benchmark_request_duration_seconds';
  for (const p of result.phases) {
    for (const e of [...p.summary.endpoints, p.summary.overall]) {
      const labels = { variant: p.variant, phase: p.phase, endpoint: e === p.summary.overall ? 'all' : e.endpoint };
      const l = e.latencyMs;
      if (l !== null) {
        for (const [q, v] of [['0.5', l.p50], ['0.9', l.p90], ['0.95', l.p95], ['0.99', l.p99]] as const) {
          sample(DURATION, 'Latency of successful requests.', 'summary', { ...labels, quantile: q }, seconds(v));
        }
        sample(DURATION, '', 'summary', labels, seconds(l.mean * l.count), '_sum');
        sample(DURATION, '', 'summary', labels, l.count, '_count');
      }
      for (const [status, n] of Object.entries(e.statusCodes)) {
        sample('iris_benchmark_requests_total', 'Completed requests by status (0: no response).', 'counter', { ...labels, status }, n);
      }
      sample('iris_benchmark_throughput_requests_per_second', 'Completed requests per second.', 'gauge', labels, e.throughputPerS);
      sample('iris_benchmark_error_ratio', 'Failed requests over all requests.', 'gauge', labels, e.errorRate);
      if (e.cache.hitRate !== null) sample('iris_benchmark_cache_hit_ratio', 'Cache hits over cache lookups (X-Cache, x-vercel-cache).', 'gauge', labels, e.cache.hitRate);
      if (e.db.perRequestMs !== null) sample('iris_benchmark_db_time_per_request_seconds', 'Server-Timing db duration per successful request.', 'gauge', labels, seconds(e.db.perRequestMs));
    }
    const phaseLabels = { variant: p.variant, phase: p.phase };
    if (p.model === 'open') {
      sample('iris_benchmark_dropped_requests_total', 'Scheduled requests never sent.', 'counter', phaseLabels, p.summary.dropped);
      sample('iris_benchmark_late_requests_total', 'Requests sent late against their schedule.', 'counter', phaseLabels, p.summary.late);
    }
    for (const c of p.checks) {
      sample('iris_benchmark_check_passed', '1 when the target or threshold passed on the phase.', 'gauge', { ...phaseLabels, check: c.threshold.source }, c.pass ? 1 : 0);
    }
  }
  let out = '';
  for (const f of families.values()) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n${f.samples.join('\n')}\n`;
  }
  return out;
}
