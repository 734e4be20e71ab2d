/**
 * Load generation for `npm run bench:cache`: autocannon in this (the parent)
 * process against servers in child processes, rounds that interleave the
 * compared servers, and the small statistics the report needs.
 *
 * Latency percentiles come from autocannon's own per-response durations
 * (hrtime, fractional ms) collected from its `response` event: its summary
 * histogram keeps whole milliseconds, too coarse for sub-millisecond hits.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { ms, num, pct } from '../../lib/loadgen/index.js';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** A sequence every connection cycles through; overrides url's path, method and body per request. */
  requests?: autocannon.Request[];
  /** PID of the server process, to measure the CPU time it spent (Linux /proc). */
  serverPid?: number;
  /** Called once the connections are open and the first requests go out. */
  onStart?: () => void;
  /** Called for every response. */
  onResponse?: (status: number, latencyMs: number) => void;
}

export interface LoadResult {
  requests: number;
  /** Responses per second over the run. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** CPU time (user + system) the server process spent during the run, in ms; null without `serverPid` or /proc. */
  serverCpuMs: number | null;
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; null where that is unavailable. */
export function processCpuMs(pid: number): number | null {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return null;
  }
}

/** Nearest-rank percentile of ascending values; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}

/** Median; NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Growable list of latencies in ms. */
export class Latencies {
  private values = new Float64Array(1 << 16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }

  /** p50 and p99 in ms. */
  summary(): { p50Ms: number; p99Ms: number } {
    const sorted = this.values.slice(0, this.length).sort();
    return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
  }
}

/** One autocannon run. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies = new Latencies();
  const cpuBefore = options.serverPid === undefined ? null : processCpuMs(options.serverPid);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        pipelining: 1,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.requests ? { requests: options.requests } : {}),
      },
      (error, done) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(done)),
    );
    if (options.onStart) instance.on('start', options.onStart);
    instance.on('response', (_client, status, _bytes, latencyMs) => {
      latencies.push(latencyMs);
      options.onResponse?.(status, latencyMs);
    });
  });
  const cpuAfter = options.serverPid === undefined ? null : processCpuMs(options.serverPid);
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const requests = latencies.length;
  return {
    requests,
    rps: requests / result.duration,
    ...latencies.summary(),
    errors: result.errors + result.timeouts,
    statusCodes,
    durationS: result.duration,
    serverCpuMs: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  };
}

/**
 * Runs every variant once per round, rotating which goes first, so slow drift
 * of a shared machine hits all of them alike.
 */
export async function interleavedRounds<K extends string>(
  variants: readonly K[],
  rounds: number,
  run: (variant: K, round: number) => Promise<LoadResult>,
  progress: (line: string) => void = () => {},
): Promise<Record<K, LoadResult[]>> {
  const results = Object.fromEntries(variants.map((v) => [v, [] as LoadResult[]])) as Record<K, LoadResult[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(round + i) % variants.length]!;
      const result = await run(variant, round);
      results[variant].push(result);
      progress(`  round ${round + 1}/${rounds} ${variant}: ${Math.round(result.rps)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`);
    }
  }
  return results;
}

/** Medians over rounds (server CPU: share of one core, and µs per response). */
export function medians(results: readonly LoadResult[]) {
  const cpu = results.filter((r) => r.serverCpuMs !== null);
  return {
    rps: median(results.map((r) => r.rps)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    serverCpuShare: median(cpu.map((r) => r.serverCpuMs! / (r.durationS * 1000))),
    serverCpuUsPerRequest: median(cpu.map((r) => (r.serverCpuMs! * 1000) / Math.max(1, r.requests))),
    requests: results.reduce((n, r) => n + r.requests, 0),
    errors: results.reduce((n, r) => n + r.errors, 0),
  };
}

/** One table row of a server's medians: req/s, p50, p99, server CPU share and µs per request, requests, then `extra` cells. */
export function medianRow(name: string, x: ReturnType<typeof medians>, ...extra: string[]): string[] {
  return [name, num(x.rps), ms(x.p50Ms), ms(x.p99Ms), pct(x.serverCpuShare, 0), num(x.serverCpuUsPerRequest, 1), num(x.requests), ...extra];
}

/** Status counts summed over runs. */
export function statusTotals(results: readonly LoadResult[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const r of results) for (const [code, n] of Object.entries(r.statusCodes)) totals[code] = (totals[code] ?? 0) + n;
  return totals;
}
