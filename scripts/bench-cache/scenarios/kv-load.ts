/**
 * Scenario 8: a healthy Redis under the benchmark's load. redis-server and
 * the Upstash REST bridge (each its own process), an Iris child whose KV is
 * that bridge (L2, fleet lock, generation checks, fleet rate limiter), and 40
 * keep-alive connections of cached reads (the standard read mix plus a
 * recent-runs list of 100 distinct page sizes, so L1 misses keep L2 busy).
 * Redis never fails here, so every KV timeout the cache counts is the load
 * itself (an event loop busy with other requests, a queue of sockets), and a
 * circuit that opens is a false alarm: the instance then skips L2 and every
 * instance's misses go to the database.
 *
 * Issue 11 saw exactly that with the 50 ms budget on a 2-core machine. The
 * scenario runs the breaker as it was (`timeout-is-failure`: 5 calls in a row
 * unanswered within the budget open the circuit) and the defaults side by
 * side, each on a fresh Iris child against the same Redis and PostgreSQL 15.
 * `KV_LOAD_CONNECTIONS=100` loads it harder.
 */
import type autocannon from 'autocannon';
import { counts, ms, num, table } from '../../../lib/loadgen/index.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../../../test/integration/harness/index.js';
import { startChild, type Child } from '../child-process.js';
import { expectStatus, metricsSummary, prometheusText, sampleSum, xCacheOf } from '../http.js';
import type { IrisServerInfo, IrisServerOptions } from '../iris-server.js';
import { runLoad } from '../load.js';
import { check, increment, standardReadPaths, type BenchSettings, type ScenarioReport } from '../report.js';

/** Connections of the run issue 11 reported (40 clients on 2 cores). */
export const KV_LOAD_CONNECTIONS = Number(process.env.KV_LOAD_CONNECTIONS ?? 40);

const VARIANTS = ['timeout-is-failure', 'defaults'] as const;
type Variant = (typeof VARIANTS)[number];

/** What each variant changes in the Iris child. */
const SETTINGS: Record<Variant, IrisServerOptions['cache']> = {
  // Every call unanswered within the 50 ms budget is a failure at once, as before issue 11.
  'timeout-is-failure': { kvAnswerDeadlineMs: 50 },
  defaults: undefined,
};

const KV_OPS = ['get', 'mget', 'set', 'del', 'incr', 'delIfEquals'] as const;

/** p50 and p99 of a Prometheus histogram (upper bucket bounds), in ms. */
function histogramQuantiles(text: string, name: string): { p50Ms: number; p99Ms: number; count: number } {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf('}') + 1).trim().split(' ')[0]);
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const count = sorted.at(-1)?.[1] ?? 0;
  const at = (q: number) => (sorted.find(([, n]) => n >= q * count)?.[0] ?? Number.NaN) * 1000;
  return { p50Ms: at(0.5), p99Ms: at(0.99), count };
}

export async function kvLoadScenario(s: BenchSettings): Promise<ScenarioReport> {
  const durationS = s.quick ? 8 : 20;
  const connections = KV_LOAD_CONNECTIONS;
  const title = `8. Healthy Redis under load: ${connections} connections for ${durationS} s per variant, KV circuit and timeouts`;
  s.progress(`${title}: starting redis-server and the REST bridge...`);
  const [redis, pg]: [RedisServer, PostgresServer] = await Promise.all([startRedis(), startPostgres()]);
  const token = `bench-cache-${crypto.randomUUID()}`;
  let bridge: Child<{ url: string }> | null = null;
  const rows: Record<string, unknown>[] = [];
  try {
    bridge = await startChild<{ url: string }>('scripts/bench-cache/kv-bridge.ts', {
      label: 'kv bridge',
      args: [JSON.stringify({ redisPort: redis.port })],
      env: { KV_REST_API_TOKEN: token },
    });
    for (const variant of VARIANTS) {
      const options: IrisServerOptions = { database: { kind: 'postgres', url: pg.url }, seedRuns: 10_000, kv: { url: bridge.info.url }, cache: SETTINGS[variant] };
      const iris = await startChild<IrisServerInfo>('scripts/bench-cache/iris-server.ts', {
        label: `iris (${variant})`,
        args: [JSON.stringify(options)],
        env: { KV_REST_API_TOKEN: token },
      });
      try {
        rows.push(await measureVariant(s, variant, iris, connections, durationS));
      } finally {
        await iris.stop();
      }
    }
  } finally {
    await bridge?.stop();
    await Promise.all([redis.stop(), pg.stop()]);
  }

  const byVariant = Object.fromEntries(rows.map((r) => [r.variant as Variant, r])) as Record<Variant, Record<string, number | string>>;
  return {
    id: 'kv-load',
    title,
    table: table(
      ['settings', 'requests', 'req/s', 'p50 ms', 'p99 ms', '5xx', 'KV calls', 'KV p50 ms', 'KV p99 ms', 'KV timeouts', 'skipped (open)', 'circuit opened', 'X-Cache'],
      rows.map((r) => [
        String(r.variant),
        num(Number(r.requests)),
        num(Number(r.rps)),
        ms(Number(r.p50Ms)),
        ms(Number(r.p99Ms)),
        num(Number(r.serverErrors)),
        num(Number(r.kvCalls)),
        ms(Number(r.kvP50Ms)),
        ms(Number(r.kvP99Ms)),
        num(Number(r.kvTimeouts)),
        num(Number(r.kvCircuitOpen)),
        num(Number(r.circuitOpened)),
        String(r.xCache),
      ]),
    ),
    notes: [
      'timeout-is-failure: every call unanswered within the 50 ms budget is a failure at once (5 in a row open the circuit), as before issue 11',
      'defaults: an answer after the budget but within 1 s is a slow call, not a failure (docs/caching.md, "When Redis fails")',
      'both: the budget gives an answer that has arrived one turn of the event loop before giving up on it (before issue 11 it did not)',
      ...rows.map((r) => `${r.variant}: circuit transitions (polled every 250 ms) ${String(r.transitions)}; rate limiter ${String(r.limiter)}`),
    ],
    checks: [
      check('kv-load: the KV circuit never opens on a healthy Redis (defaults)', Number(byVariant.defaults.circuitOpened), '==', 0),
      check('kv-load: 5xx responses (defaults)', Number(byVariant.defaults.serverErrors), '==', 0),
    ],
    data: { connections, durationS, variants: rows },
  };
}

async function measureVariant(s: BenchSettings, variant: Variant, iris: Child<IrisServerInfo>, connections: number, durationS: number): Promise<Record<string, unknown>> {
  const base = iris.info.url;
  const headers = { authorization: `Bearer ${iris.info.key}` };
  const pages = (resource: string) => Array.from({ length: 100 }, (_, i) => `/api/iris/${resource}?limit=${i + 1}`);
  const paths = [...standardReadPaths(), ...pages('runs'), ...pages('reports'), ...pages('reflexions')];
  for (const path of standardReadPaths()) await expectStatus(200, `${base}${path}`, { headers });

  const transitions: string[] = [];
  let opened = 0;
  let polling = false;
  const started = performance.now();
  const poll = async () => {
    if (polling) return;
    polling = true;
    try {
      const { kv } = await metricsSummary(base);
      if (transitions.at(-1)?.split('@')[0] !== kv.circuit) {
        transitions.push(`${kv.circuit}@${((performance.now() - started) / 1000).toFixed(1)}s`);
        if (kv.circuit === 'open') opened++;
      }
    } finally {
      polling = false;
    }
  };
  const xCache: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const requests: autocannon.Request[] = paths.map((path) => ({
    method: 'GET',
    path,
    headers,
    onResponse: (status, _body, _context, responseHeaders) => {
      increment(statuses, String(status));
      increment(xCache, xCacheOf(responseHeaders));
    },
  }));
  s.progress(`${variant}: ${connections} connections for ${durationS} s on ${paths.length} paths`);
  const poller = setInterval(() => void poll().catch(() => undefined), 250);
  let result;
  try {
    result = await runLoad({ url: base, connections, durationS, requests, serverPid: iris.pid });
  } finally {
    clearInterval(poller);
  }
  await poll();
  const prom = await prometheusText(base);
  const kvErrors = (reason: string) => sampleSum(prom, 'kv_errors_total', { reason });
  const kv = histogramQuantiles(prom, 'kv_operation_duration_seconds');
  const limiter = Object.fromEntries(['ok', 'timeout', 'error'].map((r) => [r, sampleSum(prom, 'rate_limit_decisions_total', { reason: r })]));
  const serverErrors = Object.entries(statuses).reduce((n, [code, c]) => (Number(code) >= 500 ? n + c : n), 0);
  const timeoutsByOp = Object.fromEntries(KV_OPS.map((op) => [op, sampleSum(prom, 'kv_errors_total', { op, reason: 'timeout' })]));
  s.progress(`${variant}: ${Math.round(result.rps)} req/s, KV timeouts ${kvErrors('timeout')} ${JSON.stringify(timeoutsByOp)}, circuit ${transitions.join(' -> ')}`);
  return {
    variant,
    requests: result.requests,
    rps: result.rps,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    serverErrors,
    socketErrors: result.errors,
    serverCpuShare: result.serverCpuMs === null ? null : result.serverCpuMs / (result.durationS * 1000),
    kvCalls: kv.count,
    kvP50Ms: kv.p50Ms,
    kvP99Ms: kv.p99Ms,
    kvTimeouts: kvErrors('timeout'),
    kvTimeoutsByOp: timeoutsByOp,
    kvErrors: kvErrors('error'),
    kvCircuitOpen: kvErrors('circuit_open'),
    circuitOpened: opened,
    transitions: transitions.join(' -> '),
    limiter: JSON.stringify(limiter),
    xCache: counts(xCache),
  };
}
