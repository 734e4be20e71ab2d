import { afterEach, describe, expect, it } from 'vitest';
import { createManualTimers, settle, type ManualTimers } from '../../lib/cache/testing.js';
import { DbError } from '../../lib/db/errors.js';
import { createChaosDb, refused, type ChaosDb } from '../../lib/db/testing.js';
import { generateApiKey } from '../../lib/auth/index.js';
import type { JsonSummary } from '../../lib/telemetry/index.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * What users see while Postgres is down (issue 11), on one instance with a
 * chaos Db in front of PGlite: a manual clock, and the database budget's and
 * the cache's soft-timeout timers fired by hand, so no test waits on time.
 */
const BUDGET_MS = 1_500;
const SOFT_TIMEOUT_MS = 1_000;
const COOLDOWN_MS = 2_000;

interface Outage {
  app: TestApp;
  chaos: ChaosDb;
  timers: ManualTimers;
  project: TestProject;
  advance(ms: number): void;
  /** Makes every database call fail as a stopped server would, and opens the circuit (5 failures). */
  stopDatabase(): Promise<void>;
  metric(series: string): Promise<number>;
  logs(match: RegExp): string[];
}

const opened: Outage[] = [];
afterEach(async () => {
  // Nothing may hang past a test: let every call through and fire every timer, then close.
  for (const { chaos, timers } of opened) {
    chaos.set({ mode: 'pass' });
    timers.fire();
  }
  await Promise.all(opened.splice(0).map(({ app }) => app.close()));
});

async function outage(): Promise<Outage> {
  let now = Date.UTC(2026, 10, 24, 7, 0, 30);
  let chaos!: ChaosDb;
  const timers = createManualTimers();
  const app = await createTestApp({
    wrapDb: (db) => (chaos = createChaosDb(db)),
    now: () => now,
    dbGuard: { schedule: timers.schedule, breaker: { cooldownMs: COOLDOWN_MS } },
    cache: { schedule: timers.schedule, softTimeoutMs: SOFT_TIMEOUT_MS },
  });
  const project = await app.createProject('outage', { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } });
  const result: Outage = {
    app,
    chaos,
    timers,
    project,
    advance: (ms) => void (now += ms),
    async stopDatabase() {
      // The key is one this instance knows, as on any instance that has served it.
      expect((await app.request('/api/iris/runs?limit=89', { key: project.key })).status).toBe(200);
      chaos.set({ mode: 'fail', error: refused });
      for (let i = 0; app.services.dbCircuit.state !== 'open'; i++) {
        if (i > 10) throw new Error('the database circuit did not open');
        // An uncached read of its own each time (a new limit is a new cache key).
        await app.request(`/api/iris/runs?limit=${90 + i}`, { key: project.key });
      }
    },
    async metric(series) {
      const text = await (await app.request('/api/metrics?format=prometheus')).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    },
    logs: (match) => app.logs.filter((line) => match.test(line)),
  };
  opened.push(result);
  return result;
}

/** Lets the event loop turn until `condition` holds (requests in flight reach the database); never waits on time. */
async function until(condition: () => boolean): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 10_000) throw new Error('condition never held');
    await settle(1);
  }
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; details?: { reason?: string; mayHaveCommitted?: boolean } } }).error;
}

describe('with the database known to be down', () => {
  it('answers uncached reads, writes, unknown keys and admin calls with a 503 and Retry-After, without calling the database', async () => {
    const { app, chaos, project, stopDatabase, metric, logs } = await outage();
    await stopDatabase();
    const callsBefore = chaos.calls();

    const read = await app.request('/api/iris/runs?limit=3', { key: project.key });
    const write = await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: [sampleRun()] });
    const unknownKey = await app.request('/api/iris/overview', { key: generateApiKey() });
    const admin = await app.request('/api/admin/projects', { key: ADMIN_TOKEN });

    for (const res of [read, write, unknownKey, admin]) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
    expect(await errorOf(read)).toMatchObject({ code: 'upstream_unavailable', details: { reason: 'circuit_open', mayHaveCommitted: false } });
    expect(await errorOf(write)).toMatchObject({ code: 'database_unavailable', details: { reason: 'circuit_open', mayHaveCommitted: false } });
    expect(await errorOf(unknownKey)).toMatchObject({ code: 'upstream_unavailable', details: { reason: 'circuit_open' } });
    expect(await errorOf(admin)).toMatchObject({ code: 'database_unavailable', details: { reason: 'circuit_open', mayHaveCommitted: false } });
    expect(chaos.calls()).toBe(callsBefore);

    expect(await metric('circuit_state{dependency="db"}')).toBe(2);
    expect(await metric('db_rejections_total{reason="circuit_open"}')).toBe(4);
    expect(await metric('db_rejections_total{reason="connection"}')).toBe(5);
    const summary = (await (await app.request('/api/metrics')).json()) as JsonSummary;
    expect(summary.database).toMatchObject({ circuit: 'open', unanswered: 9 });
    expect(summary.kv.circuit).toBe('closed');
    // Logged once when the circuit opened; the refused requests themselves are counted, not logged.
    expect(logs(/database circuit opened/)).toHaveLength(1);
    expect(logs(/request failed/).filter((line) => line.includes('circuit_open'))).toEqual([]);
  });

  it('serves warm keys from their copies at once, every concurrent reader included', async () => {
    const { app, chaos, project, advance, stopDatabase } = await outage();
    for (const path of ['/api/iris/overview', '/api/iris/reports', '/api/iris/experts']) expect((await app.request(path, { key: project.key })).status).toBe(200);
    advance(10 * 60_000 + 1_000); // past every TTL and stale window (experts: 5 + 5 min), inside every grace window
    await stopDatabase();
    const calls = chaos.calls();

    const reads = await Promise.all(
      Array.from({ length: 30 }, (_, i) => app.request(['/api/iris/overview', '/api/iris/reports', '/api/iris/experts'][i % 3]!, { key: project.key })),
    );
    expect(reads.map((r) => r.status)).toEqual(reads.map(() => 200));
    expect(new Set(reads.map((r) => r.headers.get('x-cache')))).toEqual(new Set(['STALE-ERROR']));
    expect(reads[0]!.headers.get('warning')).toBe('111 - "Revalidation Failed"');
    expect(chaos.calls()).toBe(calls);
  });

  it('keeps a last-good copy of every default stats window, whose key moves with time', async () => {
    const { app, project, advance, stopDatabase } = await outage();
    const windows = ['/api/iris/stats/tokens', '/api/iris/stats/performance', '/api/iris/stats/breakdown?by=model', '/api/iris/stats/timeseries'];
    advance(59 * 60_000); // 07:59:30, so that two minutes on even the hourly time series has another key
    const bodies: string[] = [];
    for (const path of windows) {
      const res = await app.request(path, { key: project.key });
      expect(res.status, path).toBe(200);
      bodies.push(await res.text());
    }
    advance(2 * 60_000); // "the last 24 h" are other cache keys now
    await stopDatabase();

    for (const [i, path] of windows.entries()) {
      const later = await app.request(path, { key: project.key });
      expect(later.status, path).toBe(200);
      expect(later.headers.get('x-cache'), path).toBe('STALE-ERROR');
      expect(await later.text(), path).toBe(bodies[i]);
    }
    // An explicit window is its own key and has no copy to fall back on.
    const explicit = await app.request('/api/iris/stats/tokens?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z', { key: project.key });
    expect(explicit.status).toBe(503);
  });

  it('recovers without a restart: after the cooldown one request probes the database, and it closes the circuit', async () => {
    const { app, chaos, project, advance, stopDatabase, metric, logs } = await outage();
    await stopDatabase();
    chaos.set({ mode: 'pass' });
    expect((await app.request('/api/iris/runs?limit=5', { key: project.key })).status).toBe(503);
    advance(COOLDOWN_MS);
    const probe = await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: [sampleRun()] });
    expect(probe.status).toBe(201);
    expect(app.services.dbCircuit.state).toBe('closed');
    expect((await app.request('/api/iris/runs?limit=5', { key: project.key })).status).toBe(200);
    expect(await metric('circuit_state{dependency="db"}')).toBe(0);
    expect(logs(/database circuit (opened|half-open|closed)/).map((line) => (JSON.parse(line) as { state: string }).state)).toEqual(['open', 'half-open', 'closed']);
  });
});

describe('with the database stopping or slow', () => {
  it('says a write may have committed when the database stopped answering after it was sent, and not when it was refused', async () => {
    const { app, chaos, timers, project } = await outage();
    chaos.set({ mode: 'hang' }, ['ingest_runs']);
    const pending = app.request('/api/iris/runs', { method: 'POST', key: project.key, json: [sampleRun()] });
    await until(() => chaos.hanging === 1);
    timers.fire(BUDGET_MS);
    const inFlight = await pending;
    expect(inFlight.status).toBe(503);
    expect(await errorOf(inFlight)).toMatchObject({ code: 'database_unavailable', details: { reason: 'timeout', mayHaveCommitted: true } });

    chaos.set({ mode: 'fail', error: refused }, ['ingest_runs']);
    const refusedWrite = await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: [sampleRun()] });
    expect(await errorOf(refusedWrite)).toMatchObject({ details: { reason: 'connection', mayHaveCommitted: false } });
  });

  it('answers every coalesced reader of a warm key from its copy within the soft timeout, with one compute', async () => {
    const { app, chaos, timers, project, advance, metric } = await outage();
    expect((await app.request('/api/iris/overview', { key: project.key })).status).toBe(200);
    advance(90_000); // past the overview's TTL and stale window
    chaos.set({ mode: 'hang' });
    const calls = chaos.calls('get_project_overview');

    const reads = Array.from({ length: 20 }, () => app.request('/api/iris/overview', { key: project.key }));
    await until(() => timers.pending >= 20);
    expect(chaos.calls('get_project_overview')).toBe(calls + 1);
    timers.fire(SOFT_TIMEOUT_MS);
    const answered = await Promise.all(reads);
    expect(answered.map((r) => `${r.status} ${r.headers.get('x-cache')}`)).toEqual(answered.map(() => '200 STALE-ERROR'));
    // 20 readers of the overview, plus the one compute reading the project's budgets from their copy.
    expect(await metric('cache_stale_served_total{reason="timeout"}')).toBe(21);

    // The compute is still bounded by the budget; the circuit counts the miss.
    timers.fire(BUDGET_MS);
    await settle();
    expect(chaos.hanging).toBe(0);
  });

  it('never opens the circuit on values the database refuses', async () => {
    const { app, chaos, project } = await outage();
    chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '22008', 'date/time field value out of range') }, ['list_model_runs']);
    for (let i = 0; i < 10; i++) expect((await app.request(`/api/iris/runs?limit=${10 + i}`, { key: project.key })).status).toBe(422);
    expect(app.services.dbCircuit.state).toBe('closed');
  });
});
