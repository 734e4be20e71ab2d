/**
 * The Db contract and the migrations on a real PostgreSQL 15 server
 * (IRIS_TEST_DATABASE_URL, started by test/integration/run.ts). Each run works
 * in a database of its own, created here and dropped at the end.
 */
import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDbContract } from '../../lib/db/contract.js';
import { DbError } from '../../lib/db/errors.js';
import { migrate, readMigrations } from '../../lib/db/migrations.js';
import { createCircuitBreaker } from '../../lib/cache/index.js';
import { createGuardedDb } from '../../lib/db/guarded.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { pgTimestampMs } from '../../lib/schemas/index.js';
import { seedDemo } from '../../lib/seed/index.js';
import { freePort, startPostgres } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const psqlFound = spawnSync('psql', ['--version']).status === 0;

function databaseUrl(name: string): string {
  const url = new URL(adminUrl ?? '');
  url.pathname = `/${name}`;
  return url.toString();
}

describe('createPostgresDb without a server', () => {
  it('rejects with DbError connection when nothing listens', async () => {
    const db = createPostgresDb({ url: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, connectTimeoutMs: 2_000 });
    try {
      const error = await db.rpc('list_projects', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ sqlState: 'connection', fn: 'list_projects', unavailable: true });
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!adminUrl)('PostgreSQL 15', () => {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const created: string[] = [];
  const open: SqlDb[] = [];

  /** A new empty database for this run, dropped in afterAll. */
  async function freshDatabase(): Promise<string> {
    const name = `iris_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin.unsafe(`create database ${name}`);
    created.push(name);
    return name;
  }

  function connect(name: string): SqlDb {
    const db = createPostgresDb({ url: databaseUrl(name), poolMax: 4 });
    open.push(db);
    return db;
  }

  let contractDb = '';
  beforeAll(async () => {
    contractDb = await freshDatabase();
    await migrate(connect(contractDb));
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  runDbContract('postgres', async () => createPostgresDb({ url: databaseUrl(contractDb), poolMax: 4 }));

  describe('migrations', () => {
    it('apply once, then re-running them is a no-op', async () => {
      const db = connect(await freshDatabase());
      const names = (await readMigrations()).map((f) => f.name);
      expect((await migrate(db)).map((r) => r.status)).toEqual(names.map(() => 'applied'));
      expect((await migrate(db)).map((r) => r.status)).toEqual(names.map(() => 'skipped'));
    });

    it('let concurrent migrators take turns without failing', async () => {
      const name = await freshDatabase();
      const results = await Promise.all([migrate(connect(name)), migrate(connect(name)), migrate(connect(name))]);
      for (const result of results) expect(result).toHaveLength((await readMigrations()).length);
      const [row] = await connect(name).query<{ n: number }>('select count(*)::int as n from public.iris_schema_migrations');
      expect(row!.n).toBe(results[0]!.length);
    });

    it.skipIf(!psqlFound)('apply with psql -v ON_ERROR_STOP=1 -f twice in a row', async () => {
      const url = databaseUrl(await freshDatabase());
      for (const round of [1, 2]) {
        for (const file of await readMigrations()) {
          const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', 'set client_min_messages = warning', '-f', '-'], {
            input: file.sql,
            encoding: 'utf8',
          });
          expect(result.status, `${file.name}, round ${round}: ${result.stderr}`).toBe(0);
        }
      }
    });
  });

  describe('faults', () => {
    it('reports a server that stops mid-flight as an unavailable DbError, not a crash', async () => {
      const server = await startPostgres();
      const db = createPostgresDb({ url: server.url, poolMax: 2, connectTimeoutMs: 2_000 });
      try {
        await migrate(db);
        expect(await db.rpc('list_projects', {})).toEqual([]);
        await server.stop();
        const error = await db.rpc('list_projects', {}).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).unavailable).toBe(true);
        expect((error as DbError).fn).toBe('list_projects');
      } finally {
        await db.close();
        await server.stop();
      }
    });
  });

  describe('timestamps', () => {
    it('reads every timestamp the schemas accept as the instant Iris read, and rejects the year-0 and impossible dates Iris refuses', async () => {
      const db = connect(contractDb);
      const accepted = [
        '1970-01-01T00:00:00Z',
        '1969-12-31T23:00:00-01:00',
        '2024-02-29T23:59:59.999999+14:00',
        '2026-11-24T07:00:00.123456+00:00',
        '2026-11-23T17:00:00.123456789-14:00',
        '9999-12-31T23:59:59.999Z',
        '9999-12-31T23:59:59+14:00',
      ];
      for (const value of accepted) {
        const [row] = await db.query<{ ms: string }>('select floor(extract(epoch from $1::timestamptz) * 1000)::text as ms', [value]);
        expect(Number(row!.ms), value).toBe(pgTimestampMs(value));
      }
      for (const value of ['0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '+010000-01-01T00:00:00Z']) {
        expect(pgTimestampMs(value), value).toBeNull();
        const error = await db.query('select $1::timestamptz', [value]).catch((e: unknown) => e);
        expect((error as DbError).sqlState, value).toMatch(/^22/);
      }
    });
  });

  describe('time budget', () => {
    it('runs RPCs under the server-side statement timeout, which rolls them back, and raw SQL without it', async () => {
      const name = await freshDatabase();
      await migrate(connect(name));
      const db = createPostgresDb({ url: databaseUrl(name), poolMax: 2, statementTimeoutMs: 1 });
      open.push(db);
      const [project] = await db.query<{ id: string }>("insert into public.projects (name) values ('timeout') returning id");
      const runs = Array.from({ length: 1000 }, (_, i) => ({
        expert_id: 'planner',
        model: 'gpt-4o-mini',
        input_tokens: i,
        output_tokens: 1,
        cost_usd: 0.001,
        latency_ms: 10,
        outcome: 'success' as const,
        metadata: { pad: 'x'.repeat(500) },
      }));
      const error = await db.rpc('ingest_runs', { p_project_id: project!.id, p_runs: runs }).catch((e: unknown) => e);
      expect(error).toMatchObject({ sqlState: '57014', unavailable: true, unavailableReason: 'timeout', mayHaveCommitted: false });
      const [count] = await db.query<{ n: number }>('select count(*)::int as n from public.model_runs, pg_sleep(0.05) where project_id = $1', [project!.id]);
      expect(count!.n).toBe(0);
    });

    it('fails 20 concurrent calls on a stopped server within their budget and then refuses at once (a pool of 5)', async () => {
      const server = await startPostgres();
      const raw = createPostgresDb({ url: server.url, poolMax: 5, connectTimeoutMs: 1_000 });
      const breaker = createCircuitBreaker();
      const db = createGuardedDb({ db: raw, breaker, timeoutMs: 1_500 });
      try {
        await migrate(raw);
        await Promise.all(Array.from({ length: 10 }, () => db.rpc('list_projects', {})));
        await server.stop();
        const started = performance.now();
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, () =>
            db.rpc('list_projects', {}).then(
              () => 'answered',
              (e: unknown) => (e instanceof DbError && e.unavailable ? 'unavailable' : String(e)),
            ),
          ),
        );
        const elapsedMs = performance.now() - started;
        expect(outcomes).toEqual(Array.from({ length: 20 }, () => 'unavailable'));
        // Without the budget the same 20 calls took up to 35-43 s on this machine, behind postgres.js's reconnect backoff.
        expect(elapsedMs).toBeLessThan(2_000);
        expect(breaker.state).toBe('open');
        const refused = performance.now();
        expect(await db.rpc('list_projects', {}).catch((e: unknown) => e)).toMatchObject({ sqlState: 'circuit_open', mayHaveCommitted: false });
        expect(performance.now() - refused).toBeLessThan(50);
      } finally {
        await db.close();
        await server.stop();
      }
    });
  });

  describe('seedDemo', () => {
    it('seeds the same history twice from the same seed and now', async () => {
      const db = connect(contractDb);
      const now = new Date('2026-06-01T12:00:00Z');
      const a = await seedDemo(db, { runs: 20_000, seed: 7, now, projectName: 'seed-a' });
      const b = await seedDemo(db, { runs: 20_000, seed: 7, now, projectName: 'seed-b' });
      const digest = (projectId: string) =>
        db.query<{ digest: string }>(
          `select md5(string_agg(concat_ws('|', expert_id, agent_id, model, prompt_version, input_tokens, output_tokens,
             cost_usd, latency_ms, confidence, outcome, error_type, created_at), ',' order by created_at, latency_ms)) as digest
           from public.model_runs where project_id = $1`,
          [projectId],
        );
      expect(await digest(a.projectId)).toEqual(await digest(b.projectId));

      const [count] = await db.query<{ n: number }>('select count(*)::int as n from public.model_runs where project_id = $1', [a.projectId]);
      expect(count!.n).toBe(20_000);
    });
  });
});
