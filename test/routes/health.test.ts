import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChaosKv, createManualTimers, settle, type ChaosKv } from '../../lib/cache/testing.js';
import { DbError } from '../../lib/db/errors.js';
import { EXPECTED_MIGRATIONS, HEALTH_MIGRATION } from '../../lib/db/manifest.js';

const LATEST = EXPECTED_MIGRATIONS[EXPECTED_MIGRATIONS.length - 1];
import { createChaosDb, type ChaosDb } from '../../lib/db/testing.js';
import { createMemoryKv } from '../../lib/kv/index.js';
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../support/app.js';

/**
 * GET /api/health/detailed through the real handlers (PGlite, the in-memory KV
 * behind a chaos store, a chaos database), and GET /api/health beside it.
 */
const METRICS_TOKEN = 'metrics-token-for-health-tests';

interface Detailed {
  status: string;
  version: string;
  region: string | null;
  database: { status: string; kind: string; latencyMs: number; reason?: string };
  migrations: { status: string; expected: { latest: string }; applied: { latest: string } | null; missing: string[] };
  kv: { status: string; kind: string; reason?: string };
  circuits: { db: string; kv: string };
  limiter: { mode: string };
  cache: { l1Entries: number; l1Bytes: number };
}

let app: TestApp;
let chaos: ChaosDb;
let kv: ChaosKv;
const timers = createManualTimers();

beforeAll(async () => {
  kv = createChaosKv(createMemoryKv());
  app = await createTestApp({
    env: { IRIS_METRICS_TOKEN: METRICS_TOKEN, VERCEL_REGION: 'fra1' },
    wrapDb: (db) => (chaos = createChaosDb(db)),
    kv,
    health: { schedule: timers.schedule },
  });
});
afterAll(() => app.close());

const detailed = (key: string | null = METRICS_TOKEN, init: RequestInit = {}) => app.request('/api/health/detailed', { ...init, key });

describe('GET /api/health/detailed', () => {
  it('reports every dependency, the migrations, the circuits, the limiter and the cache, never cacheable', async () => {
    await app.request('/api/health'); // something in the instance, nothing in L1 needed
    const res = await detailed();
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Detailed;
    expect(body).toMatchObject({
      status: 'ok',
      version: '0.1.0',
      region: 'fra1',
      database: { status: 'up', kind: 'pglite' },
      migrations: { status: 'current', missing: [], expected: { latest: LATEST }, applied: { latest: LATEST } },
      kv: { status: 'up', kind: 'memory' },
      circuits: { db: 'closed', kv: 'closed' },
      limiter: { mode: 'memory' },
      cache: { l1Entries: expect.any(Number), l1Bytes: expect.any(Number) },
    });
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('takes the metrics token or the admin token, and refuses anything else with a counted 401', async () => {
    expect((await detailed(METRICS_TOKEN)).status).toBe(200);
    expect((await detailed(ADMIN_TOKEN)).status).toBe(200);
    for (const wrong of [null, `${METRICS_TOKEN}x`, 'iris_sk_notatoken']) {
      const res = await detailed(wrong);
      expect(res.status).toBe(401);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const metrics = await (await app.request('/api/metrics?format=prometheus', { key: METRICS_TOKEN })).text();
    expect(metrics).toMatch(/^auth_failures_total\{reason="health_token"\} 3$/m);
  });

  it('answers 503 when the database is unreachable, saying why and nothing more', async () => {
    chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, 'connection', 'connect ECONNREFUSED 10.9.8.7:5432') });
    try {
      const res = await detailed();
      expect(res.status).toBe(503);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const text = await res.text();
      expect(JSON.parse(text)).toMatchObject({ status: 'down', database: { status: 'down', reason: 'connection' }, migrations: { status: 'unknown' } });
      expect(text).not.toContain('10.9.8.7');
    } finally {
      chaos.set({ mode: 'pass' });
    }
  });

  it('answers 503 when the database does not answer within the probe budget (a slow database)', async () => {
    chaos.set({ mode: 'hang' });
    try {
      const pending = detailed();
      await settle(20);
      timers.fire();
      const res = await pending;
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'down', database: { status: 'down', reason: 'timeout' } });
    } finally {
      chaos.set({ mode: 'pass' });
    }
  });

  it('answers 503 when migrations the code needs are missing', async () => {
    chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '42883', 'function public.iris_applied_migrations() does not exist') }, ['iris_applied_migrations']);
    try {
      const res = await detailed();
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'down', database: { status: 'up' }, migrations: { status: 'behind', missing: EXPECTED_MIGRATIONS.slice(EXPECTED_MIGRATIONS.indexOf(HEALTH_MIGRATION)) } });
    } finally {
      chaos.set({ mode: 'pass' });
    }
  });

  it('answers 200 degraded when only the KV fails or hangs: Iris fails open without it', async () => {
    kv.setMode('fail');
    try {
      const res = await detailed();
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'degraded', kv: { status: 'down', reason: 'error' }, database: { status: 'up' } });
    } finally {
      kv.setMode('pass');
    }
    kv.setMode('hang', ['get']);
    try {
      const pending = detailed();
      await settle(20);
      timers.fire();
      expect(await (await pending).json()).toMatchObject({ status: 'degraded', kv: { status: 'down', reason: 'timeout' } });
    } finally {
      kv.setMode('pass');
    }
  });

  it('holds no token, key or credential, and refuses query parameters', async () => {
    const text = await (await detailed()).text();
    for (const secret of [METRICS_TOKEN, ADMIN_TOKEN, 'iris_sk_']) expect(text).not.toContain(secret);
    expect((await app.request('/api/health/detailed?verbose=1', { key: METRICS_TOKEN })).status).toBe(422);
  });

  it('does not exist without a metrics or admin token (404), except in local mode', async () => {
    const bare = await createTestApp({ db: app.db, env: { IRIS_ADMIN_TOKEN: '' } });
    const local = await createTestApp({ db: app.db, env: { IRIS_ADMIN_TOKEN: '' }, local: true });
    const production = await createTestApp({ db: app.db, env: { IRIS_ADMIN_TOKEN: '', VERCEL_ENV: 'production' } });
    try {
      expect((await bare.request('/api/health/detailed')).status).toBe(404);
      expect((await production.request('/api/health/detailed')).status).toBe(404);
      expect((await local.request('/api/health/detailed')).status).toBe(200);
    } finally {
      for (const instance of [bare, local, production]) await instance.services.background.drain();
    }
  });
});

describe('GET /api/health', () => {
  it('stays as cheap as it was: no database call, no KV call', async () => {
    const dbCalls = chaos.calls();
    const kvCalls = Object.values(kv.calls).reduce((a, b) => a + b, 0);
    expect((await app.request('/api/health')).status).toBe(200);
    expect(chaos.calls()).toBe(dbCalls);
    expect(Object.values(kv.calls).reduce((a, b) => a + b, 0)).toBe(kvCalls);
  });
});
