/**
 * The behaviour suite of migration 0005 (run ids, idempotent writes,
 * retention), run against every SQL engine Iris supports:
 * `runLifecycleContract('pglite', makeDb)` in the unit tests, against
 * PostgreSQL 15 in the integration suite. It talks to the database through
 * `rpc()`, except where it must move time (expire a record, age a run) or read
 * a table no RPC exposes; those checks are skipped without `SqlDb.query`.
 *
 * Retention deletes across projects, so each test asserts on its own projects
 * only and never on the global count a sweep returns.
 */
import { describe, expect, it } from 'vitest';
import { DbError } from '../db/errors.js';
import { suiteDb } from '../db/testing.js';
import type { Db, Json, RunInput, Uuid } from '../db/types.js';
import { ADMIN_SCOPE, writeOnce, type KeyedWrite } from './idempotency.js';
import { retentionOf } from './retention-settings.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();
const hex64 = () => (crypto.randomUUID() + crypto.randomUUID()).replace(/-/g, '');

function run(overrides: Partial<RunInput> = {}): RunInput {
  return { expert_id: 'planner', model: 'gpt-4o-mini', input_tokens: 100, output_tokens: 20, cost_usd: 0.001, latency_ms: 250, outcome: 'success', ...overrides };
}

/** Registers the suite for one database; `makeDb` returns a migrated database. */
export function runLifecycleContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`lifecycle contract: ${name}`, () => {
    const suite = suiteDb(makeDb);
    const sqlOrSkip = suite.sqlOrSkip.bind(suite);

    async function newProject(settings: { [key: string]: Json } = {}): Promise<Uuid> {
      const [project] = await suite.db.rpc('create_project', { p_name: `lifecycle ${name}`, p_settings: settings });
      return project!.id;
    }

    /** Ingests a batch; the duplicates are the runs sent but not inserted, as the route reports them. */
    async function ingest(projectId: Uuid, runs: RunInput[]) {
      const [row] = await suite.db.rpc('ingest_runs', { p_project_id: projectId, p_runs: runs });
      return { inserted: row!.inserted, duplicates: runs.length - row!.inserted };
    }

    /** Runs, input tokens and cost of the project over a window, from the stats RPC (rollups plus raw edges). */
    async function totals(projectId: Uuid, fromMs: number, toMs: number) {
      const rows = await suite.db.rpc('get_token_stats', { p_project_id: projectId, p_from: iso(fromMs), p_to: iso(toMs) });
      const total = rows.at(-1)!;
      return { runs: total.runs, inputTokens: total.input_tokens };
    }

    const rawRuns = async (projectId: Uuid) => (await suite.db.rpc('list_runs', { p_project_id: projectId, p_limit: 1000, p_before_created_at: null, p_before_id: null })).length;

    const everything = { from: Date.now() - 900 * DAY_MS, to: Date.now() + DAY_MS };

    /** Calls a delete RPC until it deletes fewer than `limit`, checking each call stays within it. */
    async function drain(rpc: 'delete_expired_runs' | 'delete_expired_rollups' | 'delete_expired_idempotency_keys', limit: number): Promise<number[]> {
      const calls: number[] = [];
      for (let i = 0; i < 10_000; i++) {
        const [row] = await suite.db.rpc(rpc, { p_limit: limit });
        calls.push(row!.deleted);
        expect(row!.deleted).toBeLessThanOrEqual(limit);
        if (row!.deleted < limit) return calls;
      }
      throw new Error(`${rpc} did not finish`);
    }

    describe('run ids', () => {
      it('stores a run once however often its id arrives, and counts the repeats as duplicates', async () => {
        const projectId = await newProject();
        const batch = [run({ id: crypto.randomUUID() }), run({ id: crypto.randomUUID() }), run()];
        expect(await ingest(projectId, batch)).toEqual({ inserted: 3, duplicates: 0 });
        // The same batch again: the two runs with ids are skipped, the one without is new.
        expect(await ingest(projectId, batch)).toEqual({ inserted: 1, duplicates: 2 });
        expect(await rawRuns(projectId)).toBe(4);
      });

      it('keeps the first of two runs with the same id in one batch', async () => {
        const projectId = await newProject();
        const id = crypto.randomUUID();
        expect(await ingest(projectId, [run({ id, input_tokens: 7 }), run({ id, input_tokens: 9 })])).toEqual({ inserted: 1, duplicates: 1 });
        const [stored] = await suite.db.rpc('list_runs', { p_project_id: projectId, p_limit: 10, p_before_created_at: null, p_before_id: null });
        expect(stored).toMatchObject({ id, input_tokens: 7 });
      });

      it('adds only the inserted runs to the rollups, so a repeated batch changes no total', async () => {
        const projectId = await newProject();
        const now = Date.now();
        const batch = Array.from({ length: 40 }, (_, i) => run({ id: crypto.randomUUID(), input_tokens: i, created_at: iso(now - (i % 5) * DAY_MS - 30 * 60_000) }));
        await ingest(projectId, batch);
        const once = await totals(projectId, now - 6 * DAY_MS, now + HOUR_MS);
        expect(once).toEqual({ runs: 40, inputTokens: 780 });
        expect(await ingest(projectId, batch)).toEqual({ inserted: 0, duplicates: 40 });
        expect(await ingest(projectId, batch.slice(0, 10))).toEqual({ inserted: 0, duplicates: 10 });
        expect(await totals(projectId, now - 6 * DAY_MS, now + HOUR_MS)).toEqual(once);
        // Every hourly and daily rollup row still equals its recomputation from the raw runs.
        expect(await suite.db.rpc('check_run_rollups', { p_project_id: projectId, p_from: iso(now - 6 * DAY_MS), p_to: iso(now + HOUR_MS) })).toEqual([]);
      });

      it('refuses a batch with a run id another project already uses, and stores none of it', async () => {
        const [a, b] = [await newProject(), await newProject()];
        const taken = crypto.randomUUID();
        await ingest(a, [run({ id: taken })]);
        const error = await suite.db.rpc('ingest_runs', { p_project_id: b, p_runs: [run(), run({ id: taken })] }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DbError);
        expect((error as DbError).sqlState).toBe('23505');
        expect(await rawRuns(b)).toBe(0);
        expect(await totals(b, everything.from, everything.to)).toEqual({ runs: 0, inputTokens: 0 });
        expect(await rawRuns(a)).toBe(1);
      });
    });

    describe('write_once', () => {
      const report = (projectId: Uuid, title = 'disk full') => ({
        p_project_id: projectId,
        p_kind: 'health',
        p_health_score: 12,
        p_overall_health: 'critical' as const,
        p_severity: 'critical' as const,
        p_title: title,
        p_data: { disk: 'sda' },
      });
      const keyed = (scope: string, key: string, fingerprint: string, args: ReturnType<typeof report>): KeyedWrite<'create_report'> => ({
        scope,
        key,
        fingerprint,
        rpc: 'create_report',
        args,
      });
      const reports = async (projectId: Uuid) => (await suite.db.rpc('list_reports', { p_project_id: projectId, p_limit: 100, p_before_created_at: null, p_before_id: null })).length;

      it('runs a keyed write once and replays its rows for the same fingerprint', async () => {
        const projectId = await newProject();
        const key = crypto.randomUUID();
        const fingerprint = hex64();
        const first = await writeOnce(suite.db, keyed(projectId, key, fingerprint, report(projectId)));
        const second = await writeOnce(suite.db, keyed(projectId, key, fingerprint, report(projectId)));
        expect(first.outcome).toBe('stored');
        expect(second.outcome).toBe('replayed');
        if (first.outcome !== 'stored' || second.outcome !== 'replayed') return;
        // Byte for byte the rows the first call returned, as every adapter renders rows.
        expect(second.rows).toEqual(first.rows);
        expect(first.rows[0]).toMatchObject({ title: 'disk full', severity: 'critical', data: { disk: 'sda' } });
        expect(second.firstSeenAt).toBe(first.firstSeenAt);
        expect(await reports(projectId)).toBe(1);
      });

      it('refuses the key for another fingerprint without running the write', async () => {
        const projectId = await newProject();
        const key = crypto.randomUUID();
        await writeOnce(suite.db, keyed(projectId, key, hex64(), report(projectId)));
        const other = await writeOnce(suite.db, keyed(projectId, key, hex64(), report(projectId, 'another report')));
        expect(other.outcome).toBe('mismatch');
        expect(await reports(projectId)).toBe(1);
      });

      it('keeps scopes apart: the same key in another project or the admin scope runs anew', async () => {
        const [a, b] = [await newProject(), await newProject()];
        const key = crypto.randomUUID();
        const fingerprint = hex64();
        expect((await writeOnce(suite.db, keyed(a, key, fingerprint, report(a)))).outcome).toBe('stored');
        const inB = await writeOnce(suite.db, keyed(b, key, fingerprint, report(b)));
        expect(inB.outcome).toBe('stored');
        if (inB.outcome === 'stored') expect(JSON.stringify(inB.rows)).not.toContain(a);
        const admin = await writeOnce(suite.db, { scope: ADMIN_SCOPE, key, fingerprint, rpc: 'create_project', args: { p_name: 'via admin', p_settings: {} } });
        expect(admin.outcome).toBe('stored');
        expect([await reports(a), await reports(b)]).toEqual([1, 1]);
      });

      it('records nothing when the write fails, so the same key can run again', async () => {
        const projectId = await newProject();
        const key = crypto.randomUUID();
        const fingerprint = hex64();
        const bad = { scope: projectId, key, fingerprint, rpc: 'ingest_runs' as const, args: { p_project_id: projectId, p_runs: [run({ input_tokens: -1 })] } };
        await expect(writeOnce(suite.db, bad)).rejects.toMatchObject({ sqlState: '23514' });
        const good = await writeOnce(suite.db, { ...bad, args: { p_project_id: projectId, p_runs: [run()] } });
        expect(good.outcome).toBe('stored');
        if (good.outcome === 'stored') expect(good.rows).toEqual([{ inserted: 1 }]);
      });

      it('replays an ingest without adding its runs to the raw table or the rollups again', async () => {
        const projectId = await newProject();
        const write = { scope: projectId, key: crypto.randomUUID(), fingerprint: hex64(), rpc: 'ingest_runs' as const, args: { p_project_id: projectId, p_runs: [run(), run(), run()] } };
        await writeOnce(suite.db, write);
        const again = await writeOnce(suite.db, write);
        expect(again).toMatchObject({ outcome: 'replayed', rows: [{ inserted: 3 }] });
        expect(await rawRuns(projectId)).toBe(3);
        expect((await totals(projectId, everything.from, everything.to)).runs).toBe(3);
      });

      it('keeps a sealed text with the record and hands it back on a replay only', async () => {
        const write = { scope: ADMIN_SCOPE, key: crypto.randomUUID(), fingerprint: hex64(), rpc: 'create_project' as const, args: { p_name: 'sealed', p_settings: {} }, sealed: 'v1.opaque' };
        expect(await writeOnce(suite.db, write)).toMatchObject({ outcome: 'stored', sealed: 'v1.opaque' });
        expect(await writeOnce(suite.db, { ...write, sealed: 'v1.other' })).toMatchObject({ outcome: 'replayed', sealed: 'v1.opaque' });
        expect(await writeOnce(suite.db, { ...write, fingerprint: hex64() })).toEqual({ outcome: 'mismatch', firstSeenAt: expect.any(String) });
      });

      it('lets a key start over once its record has expired', async (ctx) => {
        const sql = sqlOrSkip(ctx);
        const projectId = await newProject();
        const key = crypto.randomUUID();
        await writeOnce(suite.db, keyed(projectId, key, hex64(), report(projectId)));
        await sql.query(`update public.idempotency_keys set expires_at = now() - interval '1 second' where scope = $1`, [projectId]);
        expect((await writeOnce(suite.db, keyed(projectId, key, hex64(), report(projectId, 'later')))).outcome).toBe('stored');
        expect(await reports(projectId)).toBe(2);
      });

      it('stores the key as a hash and a lifetime of the TTL it was given', async (ctx) => {
        const sql = sqlOrSkip(ctx);
        const projectId = await newProject();
        const key = `job:${crypto.randomUUID()}`;
        await writeOnce(suite.db, keyed(projectId, key, hex64(), report(projectId)), { ttlMs: 3_600_000 });
        const [row] = await sql.query<{ key_hash: string; ttl_s: number; text: string }>(
          `select key_hash, extract(epoch from expires_at - created_at)::int as ttl_s, to_jsonb(k)::text as text from public.idempotency_keys k where scope = $1`,
          [projectId],
        );
        expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
        expect(row!.ttl_s).toBe(3600);
        expect(row!.text).not.toContain(key);
      });

      it('refuses to run anything but the nine writes', async () => {
        const projectId = await newProject();
        const write = { scope: projectId, key: crypto.randomUUID(), fingerprint: hex64(), rpc: 'list_projects' as never, args: {} as never };
        await expect(writeOnce(suite.db, write)).rejects.toMatchObject({ sqlState: '22023' });
      });
    });

    describe('retention', () => {
      it('deletes raw runs older than the project’s runsDays, in batches, and keeps the rest', async () => {
        const projectId = await newProject({ retention: { runsDays: 30 } });
        const now = Date.now();
        await ingest(projectId, [
          ...Array.from({ length: 25 }, () => run({ created_at: iso(now - 31 * DAY_MS) })),
          ...Array.from({ length: 3 }, () => run({ created_at: iso(now - 29 * DAY_MS) })),
          run(),
        ]);
        const calls = await drain('delete_expired_runs', 10);
        expect(calls.length).toBeGreaterThanOrEqual(3);
        expect(calls.slice(0, 2)).toEqual([10, 10]);
        expect(await rawRuns(projectId)).toBe(4);
        // The rollups outlive the raw runs: the stats still count all 29 runs.
        expect((await totals(projectId, Math.floor((now - 40 * DAY_MS) / DAY_MS) * DAY_MS, now + HOUR_MS)).runs).toBe(29);
      });

      it('keeps 400 days of raw runs and 800 days of rollups when the settings name none', async () => {
        const projectId = await newProject();
        const now = Date.now();
        await ingest(projectId, [run({ created_at: iso(now - 401 * DAY_MS) }), run({ created_at: iso(now - 399 * DAY_MS) })]);
        await drain('delete_expired_runs', 5000);
        await drain('delete_expired_rollups', 5000);
        const [left] = await suite.db.rpc('list_runs', { p_project_id: projectId, p_limit: 10, p_before_created_at: null, p_before_id: null });
        expect(Date.parse(left!.created_at)).toBeGreaterThan(now - 400 * DAY_MS);
        expect(await rawRuns(projectId)).toBe(1);
        expect((await totals(projectId, Math.floor((now - 402 * DAY_MS) / DAY_MS) * DAY_MS, now)).runs).toBe(2);
      });

      it('deletes rollup buckets once they ended before rollupsDays, and only those', async () => {
        const projectId = await newProject({ retention: { runsDays: 10, rollupsDays: 20 } });
        const now = Date.now();
        await ingest(projectId, [
          run({ created_at: iso(now - 25 * DAY_MS), input_tokens: 1 }),
          run({ created_at: iso(now - 15 * DAY_MS), input_tokens: 10 }),
          run({ created_at: iso(now - 5 * DAY_MS), input_tokens: 100 }),
        ]);
        await drain('delete_expired_runs', 2);
        await drain('delete_expired_rollups', 7);
        const day = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
        expect(await totals(projectId, day(now - 26 * DAY_MS), day(now - 24 * DAY_MS) + DAY_MS)).toEqual({ runs: 0, inputTokens: 0 });
        expect(await totals(projectId, day(now - 16 * DAY_MS), day(now - 14 * DAY_MS) + DAY_MS)).toEqual({ runs: 1, inputTokens: 10 });
        expect(await totals(projectId, day(now - 30 * DAY_MS), now + HOUR_MS)).toEqual({ runs: 2, inputTokens: 110 });
        expect(await rawRuns(projectId)).toBe(1);
      });

      it('never rebuilds or checks the rollups of a day whose raw runs retention may have deleted', async () => {
        const projectId = await newProject({ retention: { runsDays: 10 } });
        const now = Date.now();
        const dayMs = Math.floor((now - 15 * DAY_MS) / DAY_MS) * DAY_MS;
        await ingest(projectId, [run({ created_at: iso(dayMs + 5 * HOUR_MS) }), run({ created_at: iso(now - HOUR_MS) })]);
        await drain('delete_expired_runs', 5000);
        expect(await suite.db.rpc('backfill_run_rollups', { p_project_id: projectId, p_day: iso(dayMs) })).toEqual([{ runs: 0, rollup_rows: 0 }]);
        expect((await totals(projectId, dayMs, dayMs + DAY_MS)).runs).toBe(1);
        expect(await suite.db.rpc('check_run_rollups', { p_project_id: projectId, p_from: iso(dayMs), p_to: iso(now + HOUR_MS) })).toEqual([]);
      });

      it('deletes expired idempotency records and keeps live ones', async (ctx) => {
        const sql = sqlOrSkip(ctx);
        const projectId = await newProject();
        const write = (key: string) => writeOnce(suite.db, { scope: projectId, key, fingerprint: hex64(), rpc: 'ingest_runs', args: { p_project_id: projectId, p_runs: [run()] } });
        await write('expires-soon');
        await write('stays-alive');
        await sql.query(`update public.idempotency_keys set expires_at = now() - interval '1 minute' where scope = $1 and key_hash = encode(sha256('expires-soon'), 'hex')`, [projectId]);
        await drain('delete_expired_idempotency_keys', 1);
        const left = await sql.query<{ n: number }>('select count(*)::int as n from public.idempotency_keys where scope = $1', [projectId]);
        expect(left[0]!.n).toBe(1);
      });

      it('reads the retention settings exactly as retentionOf does', async (ctx) => {
        const sql = sqlOrSkip(ctx);
        const cases: Json[] = [
          {},
          { retention: {} },
          { retention: { runsDays: 30 } },
          { retention: { runsDays: 900 } },
          { retention: { runsDays: 30, rollupsDays: 60 } },
          { retention: { runsDays: 60, rollupsDays: 30 } },
          { retention: { runsDays: 6, rollupsDays: 4000 } },
          { retention: { runsDays: '30', rollupsDays: 1.5 } },
          { retention: [] },
          { retention: null },
        ];
        for (const settings of cases) {
          const [row] = await sql.query<{ runs: number; rollups: number }>(
            `select public.iris_retention_days($1::jsonb, 'runsDays') as runs, public.iris_retention_days($1::jsonb, 'rollupsDays') as rollups`,
            [JSON.stringify(settings)],
          );
          expect({ runsDays: row!.runs, rollupsDays: row!.rollups }, JSON.stringify(settings)).toEqual(retentionOf(settings));
        }
      });
    });
  });
}
