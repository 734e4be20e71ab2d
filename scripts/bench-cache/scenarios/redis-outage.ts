/**
 * Scenario 6: Redis down mid-run. redis-server and the Upstash REST bridge
 * (each its own process), an Iris child whose KV is that bridge (L2, fleet
 * lock, fleet rate limiter), a steady load of cached reads; Redis is killed
 * a third of the way in and restarted on the same port at two thirds.
 * No request may fail: no 5xx, no socket error.
 */
import type autocannon from 'autocannon';
import { counts, ms, num, table } from '../../../lib/loadgen/index.js';
import { startRedis, type RedisServer } from '../../../test/integration/harness/index.js';
import { startChild, type Child } from '../child-process.js';
import { expectStatus, metricsSummary, prometheusText, sampleSum, send, xCacheOf } from '../http.js';
import type { IrisServerInfo, IrisServerOptions } from '../iris-server.js';
import { Latencies, runLoad } from '../load.js';
import { check, increment, standardReadPaths, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';

const PHASES = ['before', 'during', 'after'] as const;
type Phase = (typeof PHASES)[number];

interface Tally {
  latencies: Latencies;
  statuses: Record<string, number>;
  xCache: Record<string, number>;
}

export async function redisOutageScenario(s: BenchSettings): Promise<ScenarioReport> {
  const totalS = s.quick ? 6 : 15;
  const killAtS = totalS / 3;
  const restartAtS = (2 * totalS) / 3;
  const title = `6. Redis down mid-run: ${totalS} s of cached reads, redis-server killed at ${killAtS} s, restarted on its port at ${restartAtS} s`;
  s.progress(`${title}: starting redis-server, the REST bridge and Iris (Upstash KV)...`);

  let redis: RedisServer = await startRedis();
  const port = redis.port;
  const token = `bench-cache-${crypto.randomUUID()}`;
  let bridge: Child<{ url: string }> | null = null;
  let iris: Child<IrisServerInfo> | null = null;
  let poller: NodeJS.Timeout | undefined;
  try {
    bridge = await startChild<{ url: string }>('scripts/bench-cache/kv-bridge.ts', {
      label: 'kv bridge',
      args: [JSON.stringify({ redisPort: port })],
      env: { KV_REST_API_TOKEN: token },
    });
    const options: IrisServerOptions = { database: { kind: 'pglite' }, seedRuns: 10_000, kv: { url: bridge.info.url } };
    iris = await startChild<IrisServerInfo>('scripts/bench-cache/iris-server.ts', {
      label: 'iris (upstash kv)',
      args: [JSON.stringify(options)],
      env: { KV_REST_API_TOKEN: token },
    });
    const base = iris.info.url;
    const headers = { authorization: `Bearer ${iris.info.key}` };
    const paths = standardReadPaths();
    for (const path of [...paths, ...paths]) await expectStatus(200, `${base}${path}`, { headers });

    const tallies = Object.fromEntries(PHASES.map((p) => [p, { latencies: new Latencies(), statuses: {}, xCache: {} } satisfies Tally])) as Record<Phase, Tally>;
    let t0 = 0;
    let killedAt: number | null = null;
    let restartedAt: number | null = null;
    const phase = (): Phase => (killedAt === null ? 'before' : restartedAt === null ? 'during' : 'after');
    const since = (at: number) => (at - t0) / 1000;

    const circuit: { atS: number; state: string }[] = [];
    let polling = false;
    const pollCircuit = async () => {
      if (polling) return;
      polling = true;
      try {
        const { kv } = await metricsSummary(base);
        if (circuit.at(-1)?.state !== kv.circuit) circuit.push({ atS: since(performance.now()), state: kv.circuit });
      } catch (error) {
        circuit.push({ atS: since(performance.now()), state: `metrics unreadable: ${(error as Error).message}` });
      } finally {
        polling = false;
      }
    };

    let faults: Promise<void> = Promise.resolve();
    const requests: autocannon.Request[] = paths.map((path) => ({
      method: 'GET',
      path,
      headers,
      onResponse: (_status, _body, _context, responseHeaders) => increment(tallies[phase()].xCache, xCacheOf(responseHeaders)),
    }));
    s.progress(`load on ${paths.length} cached reads (${paths.join(', ')}), after a ${s.warmupS} s warm-up`);
    await runLoad({ url: base, connections: s.connections, durationS: s.warmupS, requests: paths.map((path) => ({ method: 'GET', path, headers })) });
    const result = await runLoad({
      url: base,
      connections: s.connections,
      durationS: totalS,
      requests,
      onStart: () => {
        t0 = performance.now();
        poller = setInterval(() => void pollCircuit(), 250);
        faults = (async () => {
          await new Promise((resolve) => setTimeout(resolve, killAtS * 1000));
          killedAt = performance.now();
          await redis.stop();
          s.progress(`redis-server killed at ${since(killedAt).toFixed(1)} s`);
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, t0 + restartAtS * 1000 - performance.now())));
          redis = await startRedis({ port });
          restartedAt = performance.now();
          s.progress(`redis-server answering again on port ${port} at ${since(restartedAt).toFixed(1)} s`);
        })();
      },
      onResponse: (status, latencyMs) => {
        const tally = tallies[phase()];
        tally.latencies.push(latencyMs);
        increment(tally.statuses, String(status));
      },
    });
    await faults;
    // The breaker moves on only when the cache calls the KV (after its cooldown, the next call probes):
    // keep a trickle of reads going after the load and watch it for up to 10 s.
    const trickle: Record<string, number> = {};
    for (let i = 0; i < 40 && circuit.at(-1)?.state !== 'closed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      increment(trickle, String((await send(`${base}${paths[i % paths.length]}`, { headers })).status));
      await pollCircuit();
    }
    clearInterval(poller);
    const final = await metricsSummary(base);
    const prom = await prometheusText(base);
    const byReason = (name: string, reasons: readonly string[]) => Object.fromEntries(reasons.map((r) => [r, sampleSum(prom, name, { reason: r })]));
    const kvErrors = byReason('kv_errors_total', ['timeout', 'error', 'circuit_open']);
    const limiter = byReason('rate_limit_decisions_total', ['ok', 'timeout', 'error', 'limit', 'cache_block']);

    const windows: Record<Phase, [number, number]> = {
      before: [0, since(killedAt ?? t0)],
      during: [since(killedAt ?? t0), since(restartedAt ?? t0)],
      after: [since(restartedAt ?? t0), result.durationS],
    };
    const summary = PHASES.map((p) => {
      const t = tallies[p];
      const { p50Ms, p99Ms } = t.latencies.summary();
      const of = (klass: number) => Object.entries(t.statuses).reduce((n, [code, c]) => (Math.floor(Number(code) / 100) === klass ? n + c : n), 0);
      return { phase: p, window: windows[p], requests: t.latencies.length, p50Ms, p99Ms, ok: of(2), clientErrors: of(4), serverErrors: of(5), statuses: t.statuses, xCache: t.xCache };
    });
    const fivexx = summary.reduce((n, p) => n + p.serverErrors, 0) + unexpectedStatuses(trickle, 200);
    return {
      id: 'redis-outage',
      title,
      table: table(
        ['phase', 'window s', 'requests', 'req/s', 'p50 ms', 'p99 ms', '2xx', '4xx', '5xx', 'X-Cache'],
        summary.map((p) => [
          p.phase,
          `${p.window[0].toFixed(1)}-${p.window[1].toFixed(1)}`,
          num(p.requests),
          num(p.requests / Math.max(0.001, p.window[1] - p.window[0])),
          ms(p.p50Ms),
          ms(p.p99Ms),
          num(p.ok),
          num(p.clientErrors),
          num(p.serverErrors),
          counts(p.xCache),
        ]),
      ),
      notes: [
        `socket errors/timeouts ${result.errors}, non-2xx ${summary.reduce((n, p) => n + p.requests - p.ok, 0)}; ` +
          `statuses of the reads after the load ${Object.keys(trickle).length === 0 ? '(none sent: the circuit had closed)' : JSON.stringify(trickle)}`,
        `kv.circuit from /api/metrics JSON (polled every 250 ms; after the load, one read per poll for up to 10 s): ` +
          `${circuit.map((c) => `${c.state}@${c.atS.toFixed(1)}s`).join(' -> ')}; final ${final.kv.circuit}`,
        `kv_errors_total by reason ${JSON.stringify(kvErrors)}; rate_limit_decisions_total by reason ${JSON.stringify(limiter)}`,
      ],
      checks: [check('redis-outage: 5xx responses (and non-200 reads after the load)', fivexx, '==', 0), check('redis-outage: socket errors and timeouts', result.errors, '==', 0)],
      data: { totalS, killAtS, restartAtS, phases: summary, errors: result.errors, afterLoadStatuses: trickle, circuit, finalCircuit: final.kv.circuit, kvErrors, rateLimiter: limiter },
    };
  } finally {
    clearInterval(poller);
    await iris?.stop();
    await bridge?.stop();
    await redis.stop();
  }
}
