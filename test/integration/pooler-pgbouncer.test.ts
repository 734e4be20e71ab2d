/**
 * Iris behind a transaction-mode pooler (issue 11): Supabase's pooler on port
 * 6543 hands a client a server connection for one transaction only. Here
 * Debian's PgBouncer runs in transaction mode, started by PID on a free port
 * in front of the harness's PostgreSQL 15, with two server connections per
 * database so clients keep changing server connection. Through it: the
 * migrations, the Db and lifecycle contracts, and the API through the real
 * handlers over HTTP with DATABASE_URL pointed at the pooler.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { runDbContract } from '../../lib/db/contract.js';
import { DbError } from '../../lib/db/errors.js';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { runLifecycleContract } from '../../lib/lifecycle/contract.js';
import { createLogger } from '../../lib/log.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { startPgbouncer, type PgbouncerServer } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const ADMIN_TOKEN = 'pooler-admin-token-0123456789';
const CRON_SECRET = 'pooler-cron-secret-0123456789';
const API_DIR = fileURLToPath(new URL('../../api', import.meta.url));

describe.skipIf(!adminUrl)('behind PgBouncer in transaction mode', () => {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const database = `iris_pooler_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const open: SqlDb[] = [];
  let bouncer: PgbouncerServer;

  /** A Db through the pooler, as DATABASE_POOLER=transaction builds it. */
  function pooled(poolMax = 4): SqlDb {
    const db = createPostgresDb({ url: bouncer.url(database), poolMax, pooler: 'transaction', connectTimeoutMs: 2_000 });
    open.push(db);
    return db;
  }

  beforeAll(async () => {
    await admin.unsafe(`create database ${database}`);
    bouncer = await startPgbouncer({ upstreamPort: Number(new URL(adminUrl!).port), poolMode: 'transaction', defaultPoolSize: 2 });
    // The migrations themselves through the pooler: each file is one transaction, its lock transaction-scoped.
    await migrate(pooled(1));
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    await bouncer?.stop();
    await admin.unsafe(`drop database if exists ${database} with (force)`);
    await admin.end();
  });

  runDbContract('postgres.js through PgBouncer (transaction mode)', async () => pooled());
  runLifecycleContract('postgres.js through PgBouncer (transaction mode)', async () => pooled());

  describe('what the pooler refuses, and what Iris does about it', () => {
    it('refuses the statement_timeout startup parameter: a connection with the direct defaults fails, which the pooler setting avoids', async () => {
      const direct = createPostgresDb({ url: bouncer.url(database), poolMax: 1 });
      open.push(direct);
      const error = await direct.rpc('list_projects', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ sqlState: '08P01', unavailable: true });
      expect(await pooled(1).rpc('list_projects', {})).toEqual(expect.any(Array));
    });

    it('applies a statement timeout set on the database (or role) instead, on every server connection', async () => {
      const timed = `${database}_timed`;
      await admin.unsafe(`create database ${timed}`);
      try {
        await admin.unsafe(`alter database ${timed} set statement_timeout = '300ms'`);
        const db = createPostgresDb({ url: bouncer.url(timed), poolMax: 2, pooler: 'transaction' });
        open.push(db);
        const error = await db.query('select pg_sleep(2)').catch((e: unknown) => e);
        expect(error).toMatchObject({ sqlState: '57014' });
        expect(await db.query<{ ok: number }>('select 1 as ok')).toEqual([{ ok: 1 }]);
      } finally {
        await Promise.all(open.splice(-1).map((db) => db.close()));
        await admin.unsafe(`drop database if exists ${timed} with (force)`);
      }
    });

    it('keeps 200 concurrent calls on 2 server connections apart: no prepared statement or pipelined query crosses transactions', async () => {
      const db = pooled(8);
      const [project] = await db.rpc('create_project', { p_name: 'pooled concurrency', p_settings: {} });
      const calls = Array.from({ length: 200 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return db.rpc('list_projects', {});
          case 1:
            return db.rpc('get_project', { p_project_id: project!.id });
          case 2:
            return db.rpc('iris_applied_migrations', {});
          default:
            return db.rpc('list_runs', { p_project_id: project!.id, p_limit: 5, p_before_created_at: null, p_before_id: null });
        }
      });
      const settled = await Promise.allSettled(calls);
      expect(settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
    });
  });

  describe('the API through the real handlers, DATABASE_URL pointed at the pooler', () => {
    let server: LocalServer;
    const logs: string[] = [];

    beforeAll(async () => {
      const config = loadConfig({
        DATABASE_URL: bouncer.url(database),
        DATABASE_POOLER: 'transaction',
        DATABASE_POOL_MAX: '6',
        IRIS_ADMIN_TOKEN: ADMIN_TOKEN,
        CRON_SECRET,
        IRIS_IP_LIMIT_PER_MINUTE: '10000000',
      });
      expect(config.db).toMatchObject({ kind: 'postgres', pooler: 'transaction', statementTimeoutMs: null });
      const services = await createServices({ config, log: createLogger({ level: 'warn', write: (line) => logs.push(line) }), processMetrics: false });
      server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
    });
    afterAll(() => server?.close());

    async function send(path: string, init: { method?: string; token: string; body?: unknown; headers?: Record<string, string> }) {
      const headers: Record<string, string> = { authorization: `Bearer ${init.token}`, ...init.headers };
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${server.url}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
    }

    it('serves admin, ingest, idempotent replays, every read, pagination, revocation, retention and the detailed health', async () => {
      const project = await send('/api/admin/projects', {
        method: 'POST',
        token: ADMIN_TOKEN,
        body: { name: 'pooled', settings: { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } } },
      });
      expect(project.status).toBe(201);
      const projectId = project.body!.id as string;
      const minted = await send('/api/admin/api-keys', { method: 'POST', token: ADMIN_TOKEN, body: { projectId } });
      expect(minted.status).toBe(201);
      const key = minted.body!.key as string;

      const run = (i: number) => ({ expertId: `expert-${i % 3}`, model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini', inputTokens: 100 + i, outputTokens: 20, costUsd: 0.001, latencyMs: 100 + i, outcome: 'success' });
      const batch = Array.from({ length: 40 }, (_, i) => ({ ...run(i), id: crypto.randomUUID() }));
      const idempotencyKey = crypto.randomUUID();
      const first = await send('/api/iris/runs', { method: 'POST', token: key, body: batch, headers: { 'idempotency-key': idempotencyKey } });
      expect([first.status, first.body]).toEqual([201, { inserted: 40, duplicates: 0 }]);
      const replay = await send('/api/iris/runs', { method: 'POST', token: key, body: batch, headers: { 'idempotency-key': idempotencyKey } });
      expect([replay.status, replay.headers.get('idempotent-replayed'), replay.body]).toEqual([201, 'true', { inserted: 40, duplicates: 0 }]);
      const resent = await send('/api/iris/runs', { method: 'POST', token: key, body: batch });
      expect(resent.body).toEqual({ inserted: 0, duplicates: 40 });

      expect((await send('/api/iris/experts', { method: 'POST', token: key, body: { expertId: 'expert-0', version: 1, signature: 's' } })).status).toBe(201);
      expect((await send('/api/iris/experts/expert-0/usage', { method: 'POST', token: key })).status).toBe(200);
      const report = { kind: 'health', healthScore: 12, overallHealth: 'critical', severity: 'critical', title: 'pooled' };
      expect((await send('/api/iris/reports', { method: 'POST', token: key, body: report })).status).toBe(201);
      const reflexion = { expertId: 'expert-0', kind: 'lesson', context: 'c', outcome: 'o', success: true, impactScore: 0.5 };
      expect((await send('/api/iris/reflexions', { method: 'POST', token: key, body: reflexion })).status).toBe(201);

      const overview = await send('/api/iris/overview', { token: key });
      expect(overview.body).toMatchObject({ projectId, runs24h: 40, openCriticalReports: 1 });
      for (const path of [
        '/api/iris/stats/tokens',
        '/api/iris/stats/performance',
        '/api/iris/stats/timeseries?groupBy=model',
        '/api/iris/stats/breakdown?by=expert',
        '/api/iris/experts',
        '/api/iris/reports',
        '/api/iris/reflexions',
        `/api/admin/api-keys?projectId=${projectId}`,
      ]) {
        expect((await send(path, { token: path.startsWith('/api/admin') ? ADMIN_TOKEN : key })).status, path).toBe(200);
      }
      const tokens = await send('/api/iris/stats/tokens', { token: key });
      expect((tokens.body!.totals as { runs: number }).runs).toBe(40);

      // Keyset pagination: every run once, newest first, across pages that each run on whatever server connection.
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const res = await send(`/api/iris/runs?limit=7${cursor ? `&cursor=${cursor}` : ''}`, { token: key, headers: { 'cache-control': 'no-cache' } });
        for (const r of res.body!.data as { id: string }[]) seen.add(r.id);
        cursor = res.body!.nextCursor as string | null;
        if (!cursor) break;
      }
      expect(seen.size).toBe(40);

      // Revocation reaches the database through the pooler too.
      const keyId = minted.body!.id as string;
      expect((await send(`/api/admin/api-keys/${keyId}/revoke`, { method: 'POST', token: ADMIN_TOKEN })).status).toBe(200);
      expect((await send('/api/iris/overview', { token: key })).status).toBe(401);

      const sweep = await send('/api/cron/retention', { token: CRON_SECRET });
      expect(sweep).toMatchObject({ status: 200, body: { outcome: 'complete' } });

      const health = await send('/api/health/detailed', { token: ADMIN_TOKEN });
      expect(health).toMatchObject({ status: 200, body: { status: 'ok', database: { status: 'up', kind: 'postgres' }, migrations: { status: 'current' } } });
      expect(logs.filter((line) => /"level":"error"/.test(line))).toEqual([]);
    });

    it('answers 300 concurrent mixed requests with no 5xx', async () => {
      const project = await send('/api/admin/projects', {
        method: 'POST',
        token: ADMIN_TOKEN,
        body: { name: 'pooled load', settings: { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } } },
      });
      const key = (await send('/api/admin/api-keys', { method: 'POST', token: ADMIN_TOKEN, body: { projectId: project.body!.id } })).body!.key as string;
      const statuses = await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          if (i % 3 === 0) {
            const body = { expertId: 'planner', model: 'gpt-4o-mini', latencyMs: i, outcome: 'success' };
            return (await send('/api/iris/runs', { method: 'POST', token: key, body })).status;
          }
          const path = ['/api/iris/overview', '/api/iris/runs?limit=3', '/api/iris/stats/performance'][i % 3]!;
          return (await send(path, { token: key, headers: { 'cache-control': 'no-cache' } })).status;
        }),
      );
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(new Set(statuses)).toEqual(new Set([200, 201]));
    }, 120_000);
  });
});
