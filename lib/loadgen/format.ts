/**
 * Plain-text tables and number formatting for the reports. Pure.
 */
import type { EndpointSummary } from './recorder.js';

/** Milliseconds with a precision that suits their size: 0.42, 12.3, 1534. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A ratio as a percentage: 0.0123 → 1.23%. */
export function pct(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return `${(value * 100).toFixed(digits)}%`;
}

/** A rate or count with thousands separators and `digits` decimals. */
export function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as MiB with a sign when asked: +12.3 MiB. */
export function mib(bytes: number | null | undefined, signed = false): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  const value = bytes / 1_048_576;
  return `${signed && value >= 0 ? '+' : ''}${value.toFixed(1)} MiB`;
}

/** A duration for prose: `0.6 s`, `30 s`, `1 min 30 s`, `5 min`, `1 h 30 min`. */
export function duration(msValue: number): string {
  const seconds = msValue / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 1 : 0))} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) {
    const m = Math.floor(whole / 60);
    const s = whole % 60;
    return s === 0 ? `${m} min` : `${m} min ${s} s`;
  }
  const minutes = Math.round(whole / 60);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Seconds as `m:ss`. */
export function clock(msValue: number): string {
  const s = Math.max(0, Math.round(msValue / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A table with a header row: the first column left-aligned, the others
 * right-aligned, columns two spaces apart.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** `200×1234 503×2` */
export function counts(record: Record<string, number>, sep = '×'): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}${sep}${v}`).join('  ');
}

/** The per-endpoint latency table, the overall row last. */
export function endpointTable(endpoints: readonly EndpointSummary[], overall: EndpointSummary): string {
  const header = ['endpoint', 'reqs', 'req/s', 'errors', 'p50', 'p90', 'p95', 'p99', 'max', 'mean ± sd (ms)', 'cache hit', 'db ms/req'];
  const row = (e: EndpointSummary, name = e.endpoint) => {
    const l = e.latencyMs;
    return [
      name,
      num(e.requests),
      num(e.throughputPerS, 1),
      e.failed === 0 ? '0' : `${num(e.failed)} (${pct(e.errorRate)})`,
      ms(l?.p50),
      ms(l?.p90),
      ms(l?.p95),
      ms(l?.p99),
      ms(l?.max),
      l ? `${ms(l.mean)} ± ${ms(l.stddev)}` : '-',
      pct(e.cache.hitRate, 1),
      ms(e.db.perRequestMs),
    ];
  };
  return table(header, [...endpoints.map((e) => row(e)), row(overall, 'all')]);
}
