/**
 * Migration 0005 on a real PostgreSQL 15 (IRIS_TEST_DATABASE_URL, started by
 * test/integration/run.ts): the lifecycle contract, idempotent writes under
 * real concurrency, retries across a PostgreSQL restart, and the retention
 * sweep with ingest running. Each part works in a database of its own; the
 * restart test starts (and restarts) a server of its own.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { RunInput, SqlDb } from '../../lib/db/types.js';
import { runLifecycleContract } from '../../lib/lifecycle/contract.js';
import { idempotencyKeyHash, sweepRetention, writeOnce, type RetentionTable } from '../../lib/lifecycle/index.js';
import { createTestApp, sampleRun, type TestApp } from '../support/app.js';
import { startPostgres } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const DAY_MS = 86_400_000;
const CRON_SECRET = 'cron-secret-for-integration-tests';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

describe.skipIf(!adminUrl)('lifecycle on PostgreSQL 15', () => {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const created: string[] = [];
  const closers: (() => Promise<void>)[] = [];

  /** A new migrated database, dropped in afterAll; returns its URL. */
  async function freshDatabase(): Promise<string> {
    const name = `iris_lifecycle_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin.unsafe(`create database ${name}`);
    created.push(name);
    const url = databaseUrl(adminUrl!, name);
    const db = connect(url);
    await migrate(db);
    return url;
  }

  function connect(url: string, poolMax = 4): SqlDb {
    const db = createPostgresDb({ url, poolMax, connectTimeoutMs: 2_000 });
    closers.push(() => db.close());
    return db;
  }

  /** An Iris instance on `db`; its services are drained (not closed: the db is closed by afterAll). */
  async function instance(db: SqlDb, env: Record<string, string> = {}): Promise<TestApp> {
    const app = await createTestApp({ db, env });
    closers.push(() => app.services.background.drain());
    return app;
  }

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  let contractUrl = '';
  beforeAll(async () => {
    contractUrl = await freshDatabase();
  });
  runLifecycleContract('postgres', async () => createPostgresDb({ url: contractUrl, poolMax: 4 }));

  describe('idempotent writes under real concurrency', () => {
    const reportArgs = (projectId: string) => ({
      p_project_id: projectId,
      p_kind: 'health',
      p_health_score: 20,
      p_overall_health: 'critical' as const,
      p_severity: 'critical' as const,
      p_title: 'concurrent',
      p_data: {},
    });

    it('reports a key in flight while its first request is uncommitted, and replays it once committed', async () => {
      const db = connect(contractUrl);
      const [project] = await db.rpc('create_project', { p_name: 'in flight', p_settings: {} });
      const write = { scope: project!.id, key: crypto.randomUUID(), fingerprint: 'f'.repeat(64), rpc: 'create_report' as const, args: reportArgs(project!.id) };
      const holder = postgres(contractUrl, { max: 1, onnotice: () => undefined });
      try {
        await holder.begin(async (tx) => {
          await tx`select * from public.write_once(${write.scope}, ${await idempotencyKeyHash(write.key)}, ${write.fingerprint}, 86400, 'create_report', ${tx.json(write.args)}, null)`;
          // The first request has run but not committed: a retry is told so at once, without waiting.
          expect(await writeOnce(db, write)).toEqual({ outcome: 'in_flight' });
        });
      } finally {
        await holder.end();
      }
      expect(await writeOnce(db, write)).toMatchObject({ outcome: 'replayed', rows: [{ title: 'concurrent' }] });
      expect(await db.rpc('list_reports', { p_project_id: project!.id, p_limit: 10, p_before_created_at: null, p_before_id: null })).toHaveLength(1);
    });

    it('runs one of many simultaneous requests with the same key; the others are in flight or replays', async () => {
      const db = connect(contractUrl, 8);
      const [project] = await db.rpc('create_project', { p_name: 'stampede', p_settings: {} });
      const write = { scope: project!.id, key: crypto.randomUUID(), fingerprint: 'e'.repeat(64), rpc: 'create_report' as const, args: reportArgs(project!.id) };
      const outcomes = (await Promise.all(Array.from({ length: 24 }, () => writeOnce(db, write)))).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'stored')).toHaveLength(1);
      expect(outcomes.every((o) => o === 'stored' || o === 'in_flight' || o === 'replayed')).toBe(true);
      expect(await db.rpc('list_reports', { p_project_id: project!.id, p_limit: 10, p_before_created_at: null, p_before_id: null })).toHaveLength(1);
    });

    it('stores a batch posted twice on two instances once with a key or run ids, and twice with neither', async () => {
      const [one, two] = [await instance(connect(contractUrl)), await instance(connect(contractUrl))];
      const p = await one.createProject('two instances');
      const send = (app: TestApp, runs: unknown[], headers: Record<string, string> = {}) =>
        app.request('/api/iris/runs', { method: 'POST', key: p.key, json: runs, headers });
      const count = async (expertId: string) =>
        Number((await one.db.query<{ n: number }>('select count(*)::int as n from model_runs where project_id = $1 and expert_id = $2', [p.id, expertId]))[0]!.n);

      const keyed = Array.from({ length: 5 }, () => sampleRun({ expertId: 'keyed' }));
      const key = crypto.randomUUID();
      expect((await send(one, keyed, { 'idempotency-key': key })).status).toBe(201);
      const replay = await send(two, keyed, { 'idempotency-key': key });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');

      const withIds = Array.from({ length: 5 }, () => sampleRun({ expertId: 'with-ids', id: crypto.randomUUID() }));
      await send(one, withIds);
      expect(await (await send(two, withIds)).json()).toEqual({ inserted: 0, duplicates: 5 });

      const neither = Array.from({ length: 5 }, () => sampleRun({ expertId: 'neither' }));
      await send(one, neither);
      await send(two, neither);

      expect([await count('keyed'), await count('with-ids'), await count('neither')]).toEqual([5, 5, 10]);
    });
  });

  describe('across a PostgreSQL restart', () => {
    it('stores each run sent with a key or an id exactly once, however its retries fall; without either, at least once', async () => {
      const server = await startPostgres();
      try {
        const [one, two] = [await instance(connect(server.url)), await instance(connect(server.url))];
        await migrate(one.db);
        const p = await one.createProject('restart', { rateLimit: { writesPerMinute: 1_000_000 } });
        const RUNS = 20;
        const batches = Array.from({ length: 48 }, (_, i) => {
          const kind = (['key', 'ids', 'neither'] as const)[i % 3];
          const expertId = `batch-${i}`;
          return {
            kind,
            expertId,
            key: crypto.randomUUID(),
            runs: Array.from({ length: RUNS }, (_, j) => sampleRun({ expertId, latencyMs: j, ...(kind === 'ids' ? { id: crypto.randomUUID() } : {}) })),
          };
        });
        const send = (b: (typeof batches)[number], attempt: number) =>
          (attempt % 2 ? two : one)
            .request('/api/iris/runs', { method: 'POST', key: p.key, json: b.runs, headers: b.kind === 'key' ? { 'idempotency-key': b.key } : {} })
            .then(async (res) => {
              await res.arrayBuffer();
              return res.status;
            });

        // Phase 1: eight clients send; PostgreSQL stops (fast shutdown) once ten batches are in.
        const first = new Map<number, number>();
        let done = 0;
        let shutdown: Promise<void> | undefined;
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < batches.length) {
              const i = next++;
              first.set(i, await send(batches[i]!, i));
              if (++done === 10) shutdown = server.halt();
            }
          }),
        );
        await shutdown;
        const statuses = [...first.values()];
        expect(statuses.every((s) => s === 201 || s === 503), JSON.stringify(statuses)).toBe(true);
        expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);

        // Phase 2: PostgreSQL is back; every client retries what it has no 201 for, the keyed and
        // id batches also once more regardless, as a client does whose 201 was lost on the way.
        await server.restart();
        /** Sends until a 201, as a client following Retry-After does (pools reconnect at their own pace). */
        const untilCreated = async (b: (typeof batches)[number], i: number, status: number) => {
          for (let attempt = 1; status !== 201 && attempt <= 40; attempt++) {
            await sleep(250);
            status = await send(b, i + attempt);
          }
          return status;
        };
        for (const [i, b] of batches.entries()) {
          expect(await untilCreated(b, i, first.get(i)!), b.expertId).toBe(201);
          if (b.kind !== 'neither') expect(await untilCreated(b, i + 1, await send(b, i + 1)), b.expertId).toBe(201);
        }

        const rows = await one.db.query<{ expert_id: string; n: number }>('select expert_id, count(*)::int as n from model_runs where project_id = $1 group by 1', [p.id]);
        const stored = new Map(rows.map((r) => [r.expert_id, Number(r.n)]));
        for (const b of batches) {
          const n = stored.get(b.expertId) ?? 0;
          if (b.kind === 'neither') {
            // Documented: without a key or ids a retried batch whose first answer was lost is stored again.
            expect(n % RUNS, b.expertId).toBe(0);
            expect(n, b.expertId).toBeGreaterThanOrEqual(RUNS);
          } else {
            expect(n, `${b.kind} ${b.expertId}`).toBe(RUNS);
          }
        }
        // And the rollups agree with the raw runs, duplicates and retries included.
        const from = new Date(Date.now() - DAY_MS).toISOString();
        const to = new Date(Date.now() + DAY_MS).toISOString();
        expect(await one.db.rpc('check_run_rollups', { p_project_id: p.id, p_from: from, p_to: to })).toEqual([]);
      } finally {
        for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
        await server.stop();
      }
    }, 180_000);
  });

  describe('retention with ingest running', () => {
    it('deletes only what is older than each project’s setting, in batches, while ingest carries on', async () => {
      const url = await freshDatabase();
      const db = connect(url, 6);
      const app = await instance(db, { CRON_SECRET });
      const short = await app.createProject('short', { retention: { runsDays: 30, rollupsDays: 60 }, rateLimit: { writesPerMinute: 1_000_000 } });
      const keeper = await app.createProject('default retention');
      const now = Date.now();
      const aged = (expert: string, days: (i: number) => number, count: number): RunInput[] =>
        Array.from({ length: count }, (_, i) => ({
          expert_id: expert,
          model: 'gpt-4o-mini',
          input_tokens: 10,
          output_tokens: 5,
          cost_usd: 0.0001,
          latency_ms: 100 + i,
          outcome: 'success',
          created_at: new Date(now - days(i) * DAY_MS - (i % 20) * 3_600_000).toISOString(),
        }));
      const seed = async (projectId: string, runs: RunInput[]) => {
        for (let i = 0; i < runs.length; i += 1000) await db.rpc('ingest_runs', { p_project_id: projectId, p_runs: runs.slice(i, i + 1000) });
      };
      await seed(short.id, aged('expired-raw', (i) => 32 + (i % 26), 20_000)); // raw deleted, rollups kept
      await seed(short.id, aged('expired-all', (i) => 62 + (i % 28), 2_000)); // raw and rollups deleted
      await seed(short.id, aged('kept', (i) => 1 + (i % 27), 1_000));
      await seed(keeper.id, aged('kept', (i) => 32 + (i % 58), 1_000));

      // Ingest through the API for as long as the sweep runs.
      let sweeping = true;
      const ingest = { done: 0, statuses: new Set<number>() };
      const ingester = (async () => {
        while (sweeping) {
          const res = await app.request('/api/iris/runs', { method: 'POST', key: short.key, json: Array.from({ length: 50 }, () => sampleRun({ expertId: 'live' })) });
          ingest.statuses.add(res.status);
          await res.arrayBuffer();
          ingest.done += 1;
        }
      })();
      const seenAtBatch: number[] = [];
      const batches: RetentionTable[] = [];
      const report = await sweepRetention(db, {
        batchSize: 2_000,
        onBatch: (table) => {
          batches.push(table);
          seenAtBatch.push(ingest.done);
        },
      }).finally(() => {
        sweeping = false;
      });
      await ingester;

      expect(report.outcome).toBe('complete');
      expect(report.deleted.model_runs).toBe(22_000);
      expect(batches.filter((t) => t === 'model_runs').length).toBeGreaterThanOrEqual(11);
      // Ingest kept going between the first and the last batch: the sweep never held it up.
      expect(seenAtBatch.at(-1)! - seenAtBatch[0]!).toBeGreaterThan(0);
      expect([...ingest.statuses]).toEqual([201]);

      const counts = async (projectId: string) =>
        Object.fromEntries(
          (await db.query<{ expert_id: string; n: number }>('select expert_id, count(*)::int as n from model_runs where project_id = $1 group by 1', [projectId])).map((r) => [r.expert_id, Number(r.n)]),
        );
      expect(await counts(short.id)).toEqual({ kept: 1_000, live: ingest.done * 50 });
      expect(await counts(keeper.id)).toEqual({ kept: 1_000 });

      // Rollups: kept for 60 days (whole days 33 to 57 ago still count their runs), gone beyond.
      const day = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
      const runsIn = async (fromMs: number, toMs: number) =>
        (await db.rpc('get_token_stats', { p_project_id: short.id, p_from: new Date(fromMs).toISOString(), p_to: new Date(toMs).toISOString() })).at(-1)!.runs;
      const keptDays = aged('x', (i) => 32 + (i % 26), 20_000).filter((r) => Date.parse(r.created_at!) >= day(now - 57 * DAY_MS) && Date.parse(r.created_at!) < day(now - 33 * DAY_MS)).length;
      expect(await runsIn(day(now - 57 * DAY_MS), day(now - 33 * DAY_MS))).toBe(keptDays);
      expect(await runsIn(day(now - 100 * DAY_MS), day(now - 61 * DAY_MS))).toBe(0);
      const [stale] = await db.query<{ n: number }>(
        `select count(*)::int as n from run_rollups where project_id = $1 and bucket_start + case grain when 'hour' then interval '1 hour' else interval '1 day' end <= now() - interval '60 days'`,
        [short.id],
      );
      expect(stale!.n).toBe(0);
      // What ingest wrote during the sweep is in its rollups exactly.
      expect(await db.rpc('check_run_rollups', { p_project_id: short.id, p_from: new Date(now - 20 * DAY_MS).toISOString(), p_to: new Date(Date.now() + DAY_MS).toISOString() })).toEqual([]);

      // The cron route finds nothing left: the sweep is idempotent.
      const again = await app.request('/api/cron/retention', { headers: { authorization: `Bearer ${CRON_SECRET}` } });
      expect(await again.json()).toMatchObject({ outcome: 'complete', deleted: { model_runs: 0, run_rollups: 0, idempotency_keys: 0 } });
    }, 240_000);
  });
});
