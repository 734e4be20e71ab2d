/**
 * Issue 11's acceptance scenario on real servers: Iris's local server on a
 * throwaway PostgreSQL 15 (its own cluster, stopped and restarted by PID, so
 * no other suite is disturbed), under concurrent read and write load, while
 * PostgreSQL is stopped for OUTAGE_MS.
 *
 * 60 s, as the original run and issue 11's acceptance have it. The circuit
 * opens within the first second, and from then on the outage is a steady
 * state that repeats every cooldown (2 s: one probe, refused, open again), so
 * a shorter outage shows the same behaviour: `IRIS_OUTAGE_MS=20000` still
 * holds ten of those cycles, takes the recent-runs list past its TTL and stale
 * window (5 s + 5 s) so its warm copy is served as STALE-ERROR, and crosses a
 * minute boundary (placed there on purpose) so the default stats window
 * changes key and is served from its last-good copy.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../lib/auth/index.js';
import { CACHE_POLICIES } from '../../lib/cache/index.js';
import { loadConfig } from '../../lib/config.js';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { createLogger } from '../../lib/log.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { startPostgres, type PostgresServer } from './harness/index.js';

/** `IRIS_OUTAGE_MS=20000 npm run test:integration -- test/integration/db-outage.test.ts` for a shorter run. */
const OUTAGE_MS = Number(process.env.IRIS_OUTAGE_MS ?? 60_000);
/** Load before the outage, so the warm keys are warm and the baseline is measured. */
const BASELINE_MS = 4_000;
/** Where the minute boundary falls inside the outage (see the clock below). */
const MINUTE_BOUNDARY_AFTER_STOP_MS = 8_000;
/** Longest the load goes on after the restart, waiting for every kind of request to succeed again. */
const RECOVERY_MAX_MS = 15_000;
/** Load kept up once every kind has recovered, to see that nothing fails any more. */
const AFTER_RECOVERY_MS = 3_000;
const LIMIT_MS = 2_000;
const ADMIN_TOKEN = 'outage-admin-token-0123456789';
const API_DIR = fileURLToPath(new URL('../../api', import.meta.url));

type Kind = 'warm' | 'uncached' | 'write' | 'unknown_key' | 'admin';
/** 16 clients: warm reads, uncached reads (Cache-Control: no-cache), writes, unknown keys and admin calls. */
const CLIENTS: Kind[] = ['warm', 'warm', 'warm', 'warm', 'warm', 'warm', 'warm', 'uncached', 'uncached', 'uncached', 'write', 'write', 'write', 'unknown_key', 'admin', 'admin'];
const WARM_PATHS = ['/api/iris/overview', '/api/iris/stats/tokens', '/api/iris/experts', '/api/iris/reports', '/api/iris/runs'];
const RUNS_PER_WRITE = 5;

interface Sample {
  kind: Kind;
  path: string;
  /** Start, in ms since the load began. */
  at: number;
  ms: number;
  /** 0 when the client gave up (10 s) or the connection failed. */
  status: number;
  xCache: string | null;
  retryAfter: string | null;
  reason?: string;
  mayHaveCommitted?: boolean;
  inserted?: number;
}

let pg: PostgresServer;
let sqlDb: SqlDb;
let server: LocalServer;
const logs: string[] = [];
/** Iris's clock: real time, shifted once (before the warm-up) so that a minute boundary falls inside the outage. */
let skewMs = 0;

beforeAll(async () => {
  pg = await startPostgres();
  sqlDb = createPostgresDb({ url: pg.url, poolMax: 2, applicationName: 'iris-outage-test' });
  await migrate(sqlDb);
  const config = loadConfig({ DATABASE_URL: pg.url, DATABASE_POOL_MAX: '5', IRIS_ADMIN_TOKEN: ADMIN_TOKEN, IRIS_IP_LIMIT_PER_MINUTE: '10000000' });
  const services = await createServices({
    config,
    now: () => Date.now() + skewMs,
    log: createLogger({ level: 'info', write: (line) => logs.push(line) }),
    processMetrics: false,
  });
  server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await sqlDb?.close();
  await pg?.stop();
});

async function send(path: string, init: RequestInit & { token: string }): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${init.token}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(`${server.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(10_000) });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(samples: Sample[]) {
  const ms = samples.map((s) => s.ms);
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  return { requests: samples.length, p50: Math.round(percentile(ms, 50)), p99: Math.round(percentile(ms, 99)), p100: Math.round(Math.max(0, ...ms)), statuses };
}

describe.skipIf(!process.env.IRIS_TEST_DATABASE_URL)('PostgreSQL stopped under load', () => {
  it(`answers every request within ${LIMIT_MS} ms through a ${OUTAGE_MS / 1000} s outage, serves warm keys from their copies, and recovers without a restart`, { timeout: OUTAGE_MS + 160_000 }, async () => {
    // A project with budgets the load never reaches, and its key.
    const created = await send('/api/admin/projects', {
      method: 'POST',
      token: ADMIN_TOKEN,
      body: JSON.stringify({ name: 'outage', settings: { rateLimit: { readsPerMinute: 1_000_000, writesPerMinute: 1_000_000 } } }),
    });
    const project = (await created.json()) as { id: string };
    const minted = await send('/api/admin/api-keys', { method: 'POST', token: ADMIN_TOKEN, body: JSON.stringify({ projectId: project.id }) });
    const key = ((await minted.json()) as { key: string }).key;
    const run = (i: number) => ({ expertId: 'planner', model: 'gpt-4o-mini', inputTokens: 100 + i, outputTokens: 20, costUsd: 0.001, latencyMs: 200 + i, outcome: 'success' });
    expect((await send('/api/iris/runs', { method: 'POST', token: key, body: JSON.stringify(Array.from({ length: 50 }, (_, i) => run(i))) })).status).toBe(201);
    expect((await send('/api/iris/experts', { method: 'POST', token: key, body: JSON.stringify({ expertId: 'planner', version: 1, signature: 's' }) })).status).toBe(201);
    const healthReport = { kind: 'health_check', healthScore: 90, overallHealth: 'healthy', severity: 'info', title: 'ok' };
    expect((await send('/api/iris/reports', { method: 'POST', token: key, body: JSON.stringify(healthReport) })).status).toBe(201);

    // Shift Iris's clock so that a minute boundary falls MINUTE_BOUNDARY_AFTER_STOP_MS into the outage.
    const boundaryAt = Date.now() + BASELINE_MS + MINUTE_BOUNDARY_AFTER_STOP_MS;
    skewMs = (60_000 - (boundaryAt % 60_000)) % 60_000;
    for (const path of WARM_PATHS) expect((await send(path, { token: key })).status, path).toBe(200);

    const samples: Sample[] = [];
    const began = performance.now();
    let stopping = false;
    let seq = 0;
    const request = async (kind: Kind): Promise<void> => {
      const n = seq++;
      let path: string;
      let init: RequestInit & { token: string };
      switch (kind) {
        case 'warm':
          path = WARM_PATHS[n % WARM_PATHS.length]!;
          init = { token: key };
          break;
        case 'uncached':
          // Computed fresh on every request: what a read is when no copy exists.
          path = n % 2 ? '/api/iris/runs?limit=7' : '/api/iris/overview';
          init = { token: key, headers: { 'cache-control': 'no-cache' } };
          break;
        case 'write':
          path = '/api/iris/runs';
          init = { token: key, method: 'POST', body: JSON.stringify(Array.from({ length: RUNS_PER_WRITE }, (_, i) => run(i))) };
          break;
        case 'unknown_key':
          path = '/api/iris/overview';
          init = { token: generateApiKey() };
          break;
        case 'admin':
          path = n % 2 ? '/api/admin/projects' : `/api/admin/api-keys?projectId=${project.id}`;
          init = { token: ADMIN_TOKEN };
          break;
      }
      const at = performance.now() - began;
      const sample: Sample = { kind, path, at, ms: 0, status: 0, xCache: null, retryAfter: null };
      try {
        const res = await send(path, init);
        const text = await res.text();
        sample.status = res.status;
        sample.xCache = res.headers.get('x-cache');
        sample.retryAfter = res.headers.get('retry-after');
        if (res.status === 201 && kind === 'write') sample.inserted = (JSON.parse(text) as { inserted: number }).inserted;
        if (res.status === 503) {
          const details = (JSON.parse(text) as { error: { details?: { reason?: string; mayHaveCommitted?: boolean } } }).error.details;
          sample.reason = details?.reason;
          sample.mayHaveCommitted = details?.mayHaveCommitted;
        }
      } catch {
        sample.status = 0;
      }
      sample.ms = performance.now() - at - began;
      samples.push(sample);
    };
    const clients = CLIENTS.map(async (kind) => {
      while (!stopping) {
        await request(kind);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await sleep(BASELINE_MS);
    const stoppedAt = performance.now() - began;
    await pg.halt();
    const haltedAt = performance.now() - began;
    await sleep(OUTAGE_MS);
    const restartAt = performance.now() - began;
    await pg.restart();
    const restartedAt = performance.now() - began;

    // Load goes on until every kind has been answered normally again, then a little longer.
    const normal: Record<Kind, (s: Sample) => boolean> = {
      warm: (s) => s.status === 200,
      uncached: (s) => s.status === 200,
      write: (s) => s.status === 201,
      unknown_key: (s) => s.status === 401,
      admin: (s) => s.status === 200,
    };
    const recoveredAt: Partial<Record<Kind, number>> = {};
    while (performance.now() - began < restartedAt + RECOVERY_MAX_MS) {
      for (const kind of Object.keys(normal) as Kind[]) {
        recoveredAt[kind] ??= samples.find((s) => s.kind === kind && s.at >= restartedAt && normal[kind](s))?.at;
      }
      if (Object.keys(normal).every((kind) => recoveredAt[kind as Kind] !== undefined)) break;
      await sleep(100);
    }
    const recoveredAll = Math.max(...Object.values(recoveredAt));
    await sleep(AFTER_RECOVERY_MS);
    stopping = true;
    await Promise.all(clients);

    // What the run measured, printed for the record.
    const during = samples.filter((s) => s.at >= haltedAt && s.at + s.ms <= restartAt);
    const after = samples.filter((s) => s.at >= recoveredAll + 1_000);
    const byKind = (list: Sample[]) => Object.fromEntries(CLIENTS.filter((k, i) => CLIENTS.indexOf(k) === i).map((k) => [k, summary(list.filter((s) => s.kind === k))]));
    const xCache: Record<string, number> = {};
    for (const s of during.filter((s) => s.kind === 'warm')) xCache[`${s.path} ${s.xCache}`] = (xCache[`${s.path} ${s.xCache}`] ?? 0) + 1;
    const metricsText = await (await fetch(`${server.url}/api/metrics?format=prometheus`)).text();
    const metric = (series: string) => Number(metricsText.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1) ?? 0);
    const transitions = logs.filter((l) => /database circuit (opened|half-open|closed)/.test(l)).map((l) => (JSON.parse(l) as { state: string }).state);
    const first503 = samples.find((s) => s.at >= haltedAt && s.status === 503);
    const report = {
      outageMs: Math.round(restartAt - stoppedAt),
      haltTookMs: Math.round(haltedAt - stoppedAt),
      restartTookMs: Math.round(restartedAt - restartAt),
      recoveryAfterRestartMs: Object.fromEntries(Object.entries(recoveredAt).map(([k, v]) => [k, Math.round(v! - restartedAt)])),
      all: summary(samples),
      beforeOutage: summary(samples.filter((s) => s.at + s.ms < stoppedAt)),
      duringOutage: { ...summary(during), byKind: byKind(during) },
      afterRecovery: summary(after),
      warmDuringOutageByXCache: xCache,
      first503AfterStopMs: first503 ? Math.round(first503.at + first503.ms - haltedAt) : null,
      writes503: {
        mayHaveCommitted: samples.filter((s) => s.kind === 'write' && s.mayHaveCommitted === true).length,
        refusedBefore: samples.filter((s) => s.kind === 'write' && s.mayHaveCommitted === false).length,
      },
      circuit: { transitions: transitions.length, opened: transitions.filter((t) => t === 'open').length, final: metric('circuit_state{dependency="db"}') },
      dbRejections: {
        circuit_open: metric('db_rejections_total{reason="circuit_open"}'),
        connection: metric('db_rejections_total{reason="connection"}'),
        timeout: metric('db_rejections_total{reason="timeout"}'),
      },
    };
    console.log(`[db-outage] ${JSON.stringify(report, null, 2)}`);

    // 1. No request over the limit, before, during or after the outage; no 5xx but a 503, and no client gave up.
    expect(samples.filter((s) => s.ms > LIMIT_MS).map((s) => `${s.kind} ${s.path} ${Math.round(s.ms)} ms at ${Math.round(s.at)}`)).toEqual([]);
    expect(samples.filter((s) => s.status === 0 || (s.status >= 500 && s.status !== 503))).toEqual([]);
    // Every 503 says when to retry, why, and whether a write may have committed.
    for (const s of samples.filter((x) => x.status === 503)) {
      expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(['circuit_open', 'timeout', 'connection']).toContain(s.reason);
      expect(typeof s.mayHaveCommitted).toBe('boolean');
    }

    // 2. Warm keys were served from their copies throughout, the recent-runs list past its stale window included.
    // (The default stats window is whole hours: its key changes once an hour, so a 20 s outage rarely crosses
    // a boundary; its last-good copy across one is tested with an injected clock in test/routes/db-outage.test.ts.)
    // (The recent-runs list has the shortest grace: its last refresh, at most TTL + stale window before the
    // stop, is served for TTL + grace, 65 s; only a longer outage outlives it, and then it is a 503.)
    const runs = CACHE_POLICIES.runs;
    const runsCopyUntil = haltedAt - runs.ttlMs - runs.staleMs + runs.ttlMs + runs.graceMs;
    const warmDuring = during.filter((s) => s.kind === 'warm');
    expect(warmDuring.length).toBeGreaterThan(100);
    const outlived = (s: Sample) => s.path === '/api/iris/runs' && s.status === 503 && s.at > runsCopyUntil;
    expect(warmDuring.filter((s) => s.status !== 200 && !outlived(s)).map((s) => `${s.path} ${s.status} at ${Math.round(s.at - haltedAt)} ms`)).toEqual([]);
    expect(xCache['/api/iris/runs STALE-ERROR'] ?? 0).toBeGreaterThan(0);
    const tokensFromCopies = ['HIT-L1', 'HIT-L2', 'STALE', 'STALE-ERROR'].reduce((n, x) => n + (xCache[`/api/iris/stats/tokens ${x}`] ?? 0), 0);
    expect(tokensFromCopies).toBeGreaterThan(0);

    // 3. Everything that needs the database got a fast 503 while it was down, and the circuit opened.
    for (const kind of ['uncached', 'write', 'unknown_key', 'admin'] as const) {
      const refused = during.filter((s) => s.kind === kind && s.at > haltedAt + 1_000);
      expect(refused.length, kind).toBeGreaterThan(0);
      expect(refused.filter((s) => s.status !== 503).map((s) => `${s.path} ${s.status}`), kind).toEqual([]);
    }
    expect(report.circuit.opened).toBeGreaterThan(0);
    expect(report.dbRejections.circuit_open).toBeGreaterThan(0);

    // 4. Recovery without restarting Iris: every kind answered normally again, nothing failed after, circuit closed.
    expect(Object.keys(recoveredAt).sort()).toEqual(Object.keys(normal).sort());
    expect(after.length).toBeGreaterThan(50);
    expect(after.filter((s) => !normal[s.kind](s)).map((s) => `${s.kind} ${s.path} ${s.status}`)).toEqual([]);
    expect(report.circuit.final).toBe(0);

    // 5. Nothing accepted was lost, and nothing refused as "not stored" was stored.
    const [row] = await sqlDb.query<{ n: number }>('select count(*)::int as n from public.model_runs where project_id = $1', [project.id]);
    const accepted = 50 + samples.reduce((sum, s) => sum + (s.inserted ?? 0), 0);
    const maybe = report.writes503.mayHaveCommitted * RUNS_PER_WRITE;
    expect(row!.n).toBeGreaterThanOrEqual(accepted);
    expect(row!.n).toBeLessThanOrEqual(accepted + maybe);
  });
});
