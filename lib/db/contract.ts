/**
 * The one behaviour suite every `Db` adapter must pass: run it from a test
 * file with `runDbContract('pglite', () => createPgliteDb())`. It talks to the
 * database only through `rpc()`; the few checks that need to move time or
 * state no RPC can (a report's resolved_at, a key's last_used_at) use
 * `SqlDb.query` and are skipped for adapters without it.
 *
 * Every test creates its own projects, so one migrated database serves the
 * whole suite and the suite can share it with other data.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { laneOf, laneValue, nearestRank } from '../analytics/index.js';
import { EXPECTED_MIGRATIONS } from './manifest.js';
import { rejection } from './testing.js';
import type { Db, Json, RpcName, RunInput, SqlDb, Timestamp, Uuid } from './types.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** `to_jsonb(timestamptz)` with the session in UTC. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$/;
const HOUR_MS = 3_600_000;

function randomHash(): string {
  return (crypto.randomUUID() + crypto.randomUUID()).replace(/-/g, '');
}

function iso(ms: number): Timestamp {
  return new Date(ms).toISOString();
}

function run(overrides: Partial<RunInput> = {}): RunInput {
  return {
    expert_id: 'planner',
    model: 'gpt-4o-mini',
    input_tokens: 100,
    output_tokens: 20,
    cost_usd: 0.001,
    latency_ms: 250,
    outcome: 'success',
    ...overrides,
  };
}

/**
 * What the stats RPCs report for a percentile: the rollup histogram's estimate
 * of the nearest-rank value, rounded to 1 µs (lib/analytics/histogram.ts).
 */
function percentileEstimate(values: number[], fraction: number): number {
  const exact = nearestRank([...values].sort((a, b) => a - b), fraction)!;
  return Math.round(laneValue(laneOf(exact)) * 1000) / 1000;
}

/** Keyset order: created_at desc, then id desc. ISO strings in one zone sort like their instants. */
function newestFirst(a: { created_at: string; id: string }, b: { created_at: string; id: string }): number {
  const at = Date.parse(a.created_at);
  const bt = Date.parse(b.created_at);
  if (at !== bt) return bt - at;
  // Same millisecond: compare the full strings (microseconds), then ids.
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

type Cursor = { p_before_created_at: Timestamp | null; p_before_id: Uuid | null };

/** Follows a keyset cursor until a short page, returning every row in order. */
async function allPages<T extends { created_at: string; id: string }>(
  fetchPage: (cursor: Cursor) => Promise<T[]>,
  pageSize: number,
): Promise<T[]> {
  const rows: T[] = [];
  let cursor: Cursor = { p_before_created_at: null, p_before_id: null };
  for (let pages = 0; pages < 1000; pages++) {
    const page = await fetchPage(cursor);
    rows.push(...page);
    const last = page.at(-1);
    if (page.length < pageSize || !last) return rows;
    cursor = { p_before_created_at: last.created_at, p_before_id: last.id };
  }
  throw new Error('pagination did not terminate');
}

/** PGlite's clock has millisecond resolution: wait for it to move so creation order is observable. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}

function asSqlDb(db: Db): SqlDb | null {
  return 'query' in db && typeof (db as SqlDb).query === 'function' ? (db as SqlDb) : null;
}

/**
 * Registers the contract suite for one adapter. `makeDb` returns a migrated
 * database; it is called once for the suite (and once more to test close()).
 */
export function runDbContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`Db contract: ${name}`, () => {
    let db: Db;

    beforeAll(async () => {
      db = await makeDb();
    });
    afterAll(async () => {
      await db?.close();
    });

    function sqlOrSkip(ctx: TestContext): SqlDb {
      const sql = asSqlDb(db);
      if (!sql) ctx.skip('needs SqlDb.query');
      return sql!;
    }

    async function newProject(name = 'contract', settings: { [key: string]: Json } = {}): Promise<Uuid> {
      const [project] = await db.rpc('create_project', { p_name: name, p_settings: settings });
      return project!.id;
    }

    async function newKey(projectId: Uuid, label: string | null = 'ci') {
      const hash = randomHash();
      const [key] = await db.rpc('create_api_key', {
        p_project_id: projectId,
        p_key_hash: hash,
        p_prefix: 'iris_sk_abc',
        p_label: label,
      });
      return { ...key!, hash };
    }

    async function ingest(projectId: Uuid, runs: RunInput[]): Promise<number> {
      const [row] = await db.rpc('ingest_runs', { p_project_id: projectId, p_runs: runs });
      return row!.inserted;
    }

    const listRuns = (projectId: Uuid, limit: number, cursor: Cursor = { p_before_created_at: null, p_before_id: null }) =>
      db.rpc('list_runs', { p_project_id: projectId, p_limit: limit, ...cursor });

    const upsertExpert = (projectId: Uuid, expertId: string, version: number, active: boolean, signature = 'sig') =>
      db.rpc('upsert_expert_signature', {
        p_project_id: projectId,
        p_expert_id: expertId,
        p_version: version,
        p_signature: signature,
        p_active: active,
        p_performance: { success_rate: 0.9 },
      });

    const createReport = (
      projectId: Uuid,
      overrides: Partial<{ health: number; overall: 'healthy' | 'degraded' | 'critical'; severity: 'info' | 'warning' | 'critical' }> = {},
    ) =>
      db.rpc('create_report', {
        p_project_id: projectId,
        p_kind: 'health_check',
        p_health_score: overrides.health ?? 90,
        p_overall_health: overrides.overall ?? 'healthy',
        p_severity: overrides.severity ?? 'info',
        p_title: 'Health check',
        p_data: null,
      });

    const recordReflexion = (projectId: Uuid, expertId: string, impact = 0.5) =>
      db.rpc('record_reflexion', {
        p_project_id: projectId,
        p_expert_id: expertId,
        p_kind: 'failure_analysis',
        p_context: 'context',
        p_outcome: 'outcome',
        p_success: true,
        p_impact_score: impact,
      });

    describe('projects', () => {
      it('creates a project with default settings and returns it as JSON with a UTC timestamp', async () => {
        const [project] = await db.rpc('create_project', { p_name: 'Acme', p_settings: null });
        expect(project).toEqual({ id: expect.stringMatching(UUID), name: 'Acme', settings: {}, created_at: expect.stringMatching(ISO_UTC) });
      });

      it('gets a project by id, and nothing for an unknown id', async () => {
        const id = await newProject('lookup', { rateLimit: { readsPerMinute: 60 } });
        const [project] = await db.rpc('get_project', { p_project_id: id });
        expect(project).toMatchObject({ id, name: 'lookup', settings: { rateLimit: { readsPerMinute: 60 } } });
        expect(await db.rpc('get_project', { p_project_id: crypto.randomUUID() })).toEqual([]);
      });

      it('lists every project newest first', async () => {
        const a = await newProject('first');
        await nextMillisecond();
        const b = await newProject('second');
        const projects = await db.rpc('list_projects', {});
        expect(projects.map((p) => p.id)).toEqual(expect.arrayContaining([a, b]));
        expect([...projects].sort(newestFirst)).toEqual(projects);
        expect(projects.findIndex((p) => p.id === b)).toBeLessThan(projects.findIndex((p) => p.id === a));
      });

      it('rejects an empty name and non-object settings with a check violation', async () => {
        expect((await rejection(db.rpc('create_project', { p_name: '', p_settings: {} }))).sqlState).toBe('23514');
        expect((await rejection(db.rpc('create_project', { p_name: 'x', p_settings: [1, 2] }))).sqlState).toBe('23514');
      });
    });

    describe('api keys', () => {
      it('creates a key and lists it without any hash', async () => {
        const projectId = await newProject();
        const key = await newKey(projectId, 'deploy');
        expect(key).toEqual({
          id: expect.stringMatching(UUID),
          project_id: projectId,
          prefix: 'iris_sk_abc',
          label: 'deploy',
          created_at: expect.stringMatching(ISO_UTC),
          last_used_at: null,
          revoked_at: null,
          hash: key.hash,
        });
        const listed = await db.rpc('list_api_keys', { p_project_id: projectId });
        expect(listed).toHaveLength(1);
        expect(Object.keys(listed[0]!).sort()).toEqual(
          ['created_at', 'id', 'label', 'last_used_at', 'prefix', 'project_id', 'revoked_at', 'usage_count'].sort(),
        );
        expect(listed[0]!.usage_count).toBe(0);
      });

      it('adds batched usage counts and only moves last_used_at forward', async () => {
        const projectId = await newProject('usage');
        const key = await newKey(projectId);
        const at = (iso: string) => ({ key_id: key.id, last_used_at: iso });
        expect(
          await db.rpc('record_key_usage', {
            p_usage: [
              { ...at('2026-01-02T00:00:00Z'), count: 5 },
              { ...at('2026-01-01T00:00:00Z'), count: 2 },
              { key_id: '00000000-0000-4000-8000-000000000000', count: 9, last_used_at: '2026-01-01T00:00:00Z' },
            ],
          }),
        ).toEqual([{ updated: 1 }]);
        await db.rpc('record_key_usage', { p_usage: [{ ...at('2025-12-31T00:00:00Z'), count: 1 }] });
        const [listed] = await db.rpc('list_api_keys', { p_project_id: projectId });
        expect(listed).toMatchObject({ usage_count: 8, last_used_at: '2026-01-02T00:00:00+00:00' });
        expect(await db.rpc('record_key_usage', { p_usage: [] })).toEqual([{ updated: 0 }]);
      });

      it('verifies a live key and returns its project and stored hash', async () => {
        const projectId = await newProject('verified', { tier: 'pro' });
        const key = await newKey(projectId);
        expect(await db.rpc('verify_api_key', { p_key_hash: key.hash })).toEqual([
          { key_id: key.id, project_id: projectId, project_name: 'verified', settings: { tier: 'pro' }, key_hash: key.hash },
        ]);
        expect(await db.rpc('verify_api_key', { p_key_hash: randomHash() })).toEqual([]);
      });

      it('stamps last_used_at on first use and not again within a minute', async () => {
        const projectId = await newProject();
        const key = await newKey(projectId);
        await db.rpc('verify_api_key', { p_key_hash: key.hash });
        const [first] = await db.rpc('list_api_keys', { p_project_id: projectId });
        expect(first!.last_used_at).toMatch(ISO_UTC);
        await nextMillisecond();
        await db.rpc('verify_api_key', { p_key_hash: key.hash });
        const [second] = await db.rpc('list_api_keys', { p_project_id: projectId });
        expect(second!.last_used_at).toBe(first!.last_used_at);
      });

      it('stamps last_used_at again once it is more than a minute old', async (ctx) => {
        const sql = sqlOrSkip(ctx);
        const projectId = await newProject();
        const key = await newKey(projectId);
        await sql.query(`update public.api_keys set last_used_at = now() - interval '2 minutes' where id = $1`, [key.id]);
        const [stale] = await db.rpc('list_api_keys', { p_project_id: projectId });
        await db.rpc('verify_api_key', { p_key_hash: key.hash });
        const [fresh] = await db.rpc('list_api_keys', { p_project_id: projectId });
        expect(Date.parse(fresh!.last_used_at!)).toBeGreaterThan(Date.parse(stale!.last_used_at!) + 60_000);
      });

      it('returns nothing for a revoked key, and revoking twice keeps the first revoked_at', async () => {
        const projectId = await newProject();
        const key = await newKey(projectId);
        const [revoked] = await db.rpc('revoke_api_key', { p_key_id: key.id });
        expect(revoked).toMatchObject({ id: key.id, project_id: projectId, key_hash: key.hash, revoked_at: expect.stringMatching(ISO_UTC) });
        expect(await db.rpc('verify_api_key', { p_key_hash: key.hash })).toEqual([]);
        await nextMillisecond();
        const [again] = await db.rpc('revoke_api_key', { p_key_id: key.id });
        expect(again!.revoked_at).toBe(revoked!.revoked_at);
        expect(await db.rpc('revoke_api_key', { p_key_id: crypto.randomUUID() })).toEqual([]);
      });

      it('rotates a key: the old one is revoked, the successor is live in the same project with the same label', async () => {
        const projectId = await newProject();
        const old = await newKey(projectId, 'ci');
        const newHash = randomHash();
        const [successor] = await db.rpc('rotate_api_key', { p_key_id: old.id, p_new_key_hash: newHash, p_new_prefix: 'iris_sk_new' });
        expect(successor).toEqual({
          id: expect.stringMatching(UUID),
          project_id: projectId,
          prefix: 'iris_sk_new',
          label: 'ci',
          created_at: expect.stringMatching(ISO_UTC),
          last_used_at: null,
          revoked_at: null,
          old_key_hash: old.hash,
        });
        expect(successor!.id).not.toBe(old.id);
        expect(await db.rpc('verify_api_key', { p_key_hash: old.hash })).toEqual([]);
        expect(await db.rpc('verify_api_key', { p_key_hash: newHash })).toMatchObject([{ key_id: successor!.id, project_id: projectId }]);
        // Already revoked, or unknown: nothing happens.
        expect(await db.rpc('rotate_api_key', { p_key_id: old.id, p_new_key_hash: randomHash(), p_new_prefix: 'x' })).toEqual([]);
        expect(await db.rpc('rotate_api_key', { p_key_id: crypto.randomUUID(), p_new_key_hash: randomHash(), p_new_prefix: 'x' })).toEqual([]);
        expect(await db.rpc('list_api_keys', { p_project_id: projectId })).toHaveLength(2);
      });

      it('fails a rotation to a hash already in use and leaves the old key live', async () => {
        const projectId = await newProject();
        const a = await newKey(projectId);
        const b = await newKey(projectId);
        const error = await rejection(db.rpc('rotate_api_key', { p_key_id: a.id, p_new_key_hash: b.hash, p_new_prefix: 'x' }));
        expect(error.sqlState).toBe('23505');
        expect(error.fn).toBe('rotate_api_key');
        expect(await db.rpc('verify_api_key', { p_key_hash: a.hash })).toHaveLength(1);
      });

      it('rejects a duplicate hash (23505) and a key for an unknown project (23503)', async () => {
        const projectId = await newProject();
        const key = await newKey(projectId);
        const args = { p_project_id: projectId, p_key_hash: key.hash, p_prefix: 'p', p_label: null };
        expect((await rejection(db.rpc('create_api_key', args))).sqlState).toBe('23505');
        const orphan = { ...args, p_project_id: crypto.randomUUID(), p_key_hash: randomHash() };
        expect((await rejection(db.rpc('create_api_key', orphan))).sqlState).toBe('23503');
      });
    });

    describe('runs', () => {
      it('ingests a batch and lists it back with every field as JSON', async () => {
        const projectId = await newProject();
        const full: RunInput = {
          expert_id: 'sql-generation',
          agent_id: 'agent-7',
          model: 'gpt-4o',
          prompt_version: 'v3',
          input_tokens: 1200,
          output_tokens: 340,
          cost_usd: 0.0065,
          latency_ms: 812.5,
          confidence: 0.75,
          outcome: 'partial',
          error_type: 'truncated_output',
          metadata: { region: 'eu', tags: ['a', 'b'] },
          created_at: '2026-01-02T03:04:05.123456Z',
        };
        expect(await ingest(projectId, [full, run({ created_at: '2026-01-01T00:00:00Z' })])).toBe(2);
        const rows = await listRuns(projectId, 10);
        expect(rows).toHaveLength(2);
        expect(rows[0]).toEqual({
          ...full,
          id: expect.stringMatching(UUID),
          created_at: '2026-01-02T03:04:05.123456+00:00',
        });
        expect(rows[1]).toEqual({
          id: expect.stringMatching(UUID),
          expert_id: 'planner',
          agent_id: null,
          model: 'gpt-4o-mini',
          prompt_version: null,
          input_tokens: 100,
          output_tokens: 20,
          cost_usd: 0.001,
          latency_ms: 250,
          confidence: null,
          outcome: 'success',
          error_type: null,
          metadata: {},
          created_at: '2026-01-01T00:00:00+00:00',
        });
      });

      it('defaults created_at to the time of ingest', async () => {
        const projectId = await newProject();
        const before = Date.now();
        await ingest(projectId, [run()]);
        const [row] = await listRuns(projectId, 1);
        expect(row!.created_at).toMatch(ISO_UTC);
        expect(Math.abs(Date.parse(row!.created_at) - before)).toBeLessThan(60_000);
      });

      it('fails the whole batch when one element is invalid', async () => {
        const projectId = await newProject();
        const bad = [
          [run(), run({ outcome: 'exploded' as RunInput['outcome'] }), run()],
          [run(), run({ input_tokens: -1 })],
          [run(), run({ confidence: 1.5 })],
          [run(), { ...run(), model: undefined as unknown as string }],
        ];
        for (const batch of bad) {
          const error = await rejection(ingest(projectId, batch));
          expect(['23514', '23502']).toContain(error.sqlState);
        }
        const typeError = await rejection(ingest(projectId, [run(), { ...run(), input_tokens: 'many' as unknown as number }]));
        expect(typeError.sqlState).toBe('22P02');
        expect(await listRuns(projectId, 10)).toEqual([]);
      });

      it('accepts an empty batch and rejects runs for an unknown project', async () => {
        expect(await ingest(await newProject(), [])).toBe(0);
        expect((await rejection(ingest(crypto.randomUUID(), [run()]))).sqlState).toBe('23503');
      });

      it('pages through runs with the (created_at, id) cursor without gaps or duplicates, ties included', async () => {
        const projectId = await newProject();
        const base = Date.parse('2026-03-01T00:00:00Z');
        // 23 runs over 8 distinct timestamps, so pages split runs that share one.
        const runs = Array.from({ length: 23 }, (_, i) => run({ created_at: iso(base + (i % 8) * 1000), latency_ms: i }));
        await ingest(projectId, runs);
        const pages = await allPages((cursor) => listRuns(projectId, 5, cursor), 5);
        expect(pages).toHaveLength(23);
        expect(new Set(pages.map((r) => r.id)).size).toBe(23);
        expect([...pages].sort(newestFirst)).toEqual(pages);
        // A cursor with only a timestamp means strictly older runs.
        const older = await listRuns(projectId, 100, { p_before_created_at: iso(base + 7000), p_before_id: null });
        expect(older).toHaveLength(23 - 2);
      });

      it('clamps the page size to 1..1000', async () => {
        const projectId = await newProject();
        await ingest(projectId, [run(), run(), run()]);
        expect(await listRuns(projectId, 0)).toHaveLength(1);
        expect(await listRuns(projectId, 2)).toHaveLength(2);
      });
    });

    describe('overview', () => {
      it('computes the overview from known data', async (ctx) => {
        const projectId = await newProject();
        const now = Date.now();
        const inWindow = [
          { hours: 0.5, latency_ms: 100, outcome: 'success', input_tokens: 10, output_tokens: 1, cost_usd: 0.001 },
          { hours: 2, latency_ms: 200, outcome: 'success', input_tokens: 20, output_tokens: 2, cost_usd: 0.002 },
          { hours: 5, latency_ms: 300, outcome: 'failure', input_tokens: 30, output_tokens: 3, cost_usd: 0.003 },
          { hours: 9, latency_ms: 400, outcome: 'success', input_tokens: 40, output_tokens: 4, cost_usd: 0.004 },
          { hours: 15, latency_ms: 500, outcome: 'partial', input_tokens: 50, output_tokens: 5, cost_usd: 0.005 },
          { hours: 23, latency_ms: 1000, outcome: 'success', input_tokens: 60, output_tokens: 6, cost_usd: 0.006 },
        ] as const;
        const outside = [25, 49].map((hours) => run({ created_at: iso(now - hours * HOUR_MS), latency_ms: 99_999, input_tokens: 1000 }));
        await ingest(projectId, [
          ...inWindow.map(({ hours, ...r }) => run({ ...r, created_at: iso(now - hours * HOUR_MS) })),
          ...outside,
        ]);
        await upsertExpert(projectId, 'planner', 1, true);
        await upsertExpert(projectId, 'planner', 2, true); // replaces v1 as the active version
        await upsertExpert(projectId, 'triage', 1, false);
        await upsertExpert(projectId, 'summarizer', 1, true);
        for (const expert of ['planner', 'planner', 'triage']) await recordReflexion(projectId, expert);
        const [critical] = await createReport(projectId, { health: 35, overall: 'critical', severity: 'critical' });
        await nextMillisecond();
        await createReport(projectId, { health: 72, overall: 'degraded', severity: 'warning' });

        const [overview] = await db.rpc('get_project_overview', { p_project_id: projectId });
        const midnight = new Date(now).setUTCHours(0, 0, 0, 0);
        expect(overview).toEqual({
          runs_today: inWindow.filter((r) => now - r.hours * HOUR_MS >= midnight).length,
          runs_24h: 6,
          success_rate_24h: expect.closeTo(4 / 6, 6),
          p95_latency_ms_24h: percentileEstimate([100, 200, 300, 400, 500, 1000], 0.95),
          input_tokens_24h: 210,
          output_tokens_24h: 21,
          cost_usd_24h: expect.closeTo(0.021, 9),
          active_experts: 2,
          reflexions: 3,
          latest_health_score: 72,
          overall_health: 'degraded',
          open_critical_reports: 1,
        });

        const sql = sqlOrSkip(ctx);
        await sql.query('update public.iris_reports set resolved_at = now() where id = $1', [critical!.id]);
        const [resolved] = await db.rpc('get_project_overview', { p_project_id: projectId });
        expect(resolved!.open_critical_reports).toBe(0);
      });

      it('returns zeros and nulls for a project with no data', async () => {
        const [overview] = await db.rpc('get_project_overview', { p_project_id: await newProject() });
        expect(overview).toEqual({
          runs_today: 0,
          runs_24h: 0,
          success_rate_24h: null,
          p95_latency_ms_24h: null,
          input_tokens_24h: 0,
          output_tokens_24h: 0,
          cost_usd_24h: 0,
          active_experts: 0,
          reflexions: 0,
          latest_health_score: null,
          overall_health: null,
          open_critical_reports: 0,
        });
      });
    });

    describe('stats', () => {
      const from = '2026-02-01T00:00:00Z';
      const to = '2026-02-08T00:00:00Z';
      const at = (day: number) => iso(Date.parse(from) + day * 24 * HOUR_MS);

      async function statsProject(): Promise<Uuid> {
        const projectId = await newProject();
        await ingest(projectId, [
          run({ model: 'b-model', latency_ms: 100, input_tokens: 10, output_tokens: 5, cost_usd: 0.5, confidence: 0.5, created_at: from }),
          run({ model: 'b-model', latency_ms: 300, input_tokens: 20, output_tokens: 5, cost_usd: 0.25, confidence: null, outcome: 'failure', created_at: at(1) }),
          run({ model: 'a-model', latency_ms: 50, input_tokens: 1, output_tokens: 1, cost_usd: 0.125, confidence: 0.9, created_at: at(2) }),
          run({ model: 'a-model', latency_ms: 70, input_tokens: 2, output_tokens: 3, cost_usd: 0.125, confidence: 0.7, created_at: at(3) }),
          run({ model: 'a-model', latency_ms: 1000, input_tokens: 3, output_tokens: 4, cost_usd: 0.25, confidence: 0.8, outcome: 'partial', created_at: at(6.5) }),
          // Outside [from, to): p_to is exclusive.
          run({ model: 'a-model', latency_ms: 9999, input_tokens: 1000, created_at: to }),
          run({ model: 'c-model', latency_ms: 9999, input_tokens: 1000, created_at: at(-1) }),
        ]);
        return projectId;
      }

      it('reports tokens and cost per model, ordered by model, then a totals row with model null', async () => {
        const projectId = await statsProject();
        expect(await db.rpc('get_token_stats', { p_project_id: projectId, p_from: from, p_to: to })).toEqual([
          { model: 'a-model', runs: 3, input_tokens: 6, output_tokens: 8, cost_usd: 0.5 },
          { model: 'b-model', runs: 2, input_tokens: 30, output_tokens: 10, cost_usd: 0.75 },
          { model: null, runs: 5, input_tokens: 36, output_tokens: 18, cost_usd: 1.25 },
        ]);
      });

      it('reports success rate, p50/p95/p99 latency and mean confidence per model and in total', async () => {
        const projectId = await statsProject();
        const rows = await db.rpc('get_performance_stats', { p_project_id: projectId, p_from: from, p_to: to });
        const expected = (model: string | null, latencies: number[], successes: number, confidences: number[]) => ({
          model,
          runs: latencies.length,
          success_rate: expect.closeTo(successes / latencies.length, 6),
          p50_latency_ms: percentileEstimate(latencies, 0.5),
          p95_latency_ms: percentileEstimate(latencies, 0.95),
          p99_latency_ms: percentileEstimate(latencies, 0.99),
          mean_confidence: expect.closeTo(confidences.reduce((a, b) => a + b, 0) / confidences.length, 5),
        });
        expect(rows).toEqual([
          expected('a-model', [50, 70, 1000], 2, [0.9, 0.7, 0.8]),
          expected('b-model', [100, 300], 1, [0.5]),
          expected(null, [100, 300, 50, 70, 1000], 3, [0.5, 0.9, 0.7, 0.8]),
        ]);
      });

      it('returns only an empty totals row when the range has no runs', async () => {
        const projectId = await statsProject();
        const empty = { p_project_id: projectId, p_from: '2020-01-01T00:00:00Z', p_to: '2020-01-02T00:00:00Z' };
        expect(await db.rpc('get_token_stats', empty)).toEqual([
          { model: null, runs: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0 },
        ]);
        expect(await db.rpc('get_performance_stats', empty)).toEqual([
          { model: null, runs: 0, success_rate: null, p50_latency_ms: null, p95_latency_ms: null, p99_latency_ms: null, mean_confidence: null },
        ]);
      });
    });

    describe('experts', () => {
      it('upserts signature versions and keeps at most one active', async () => {
        const projectId = await newProject();
        const [v1] = await upsertExpert(projectId, 'planner', 1, true, 'first');
        expect(v1).toEqual({
          expert_id: 'planner',
          version: 1,
          signature: 'first',
          active: true,
          performance: { success_rate: 0.9 },
          usage_count: 0,
          updated_at: expect.stringMatching(ISO_UTC),
        });
        await upsertExpert(projectId, 'planner', 2, true, 'second');
        await upsertExpert(projectId, 'triage', 1, false);
        const all = await db.rpc('list_experts', { p_project_id: projectId, p_active_only: false });
        expect(all.map((e) => [e.expert_id, e.version, e.active])).toEqual([
          ['planner', 2, true],
          ['planner', 1, false],
          ['triage', 1, false],
        ]);
        const active = await db.rpc('list_experts', { p_project_id: projectId, p_active_only: true });
        expect(active.map((e) => [e.expert_id, e.version])).toEqual([['planner', 2]]);
      });

      it('increments the active version, else the highest one, and nothing for an unknown expert', async () => {
        const projectId = await newProject();
        await upsertExpert(projectId, 'planner', 1, true);
        await upsertExpert(projectId, 'planner', 3, false);
        const increments = await Promise.all(
          Array.from({ length: 10 }, () => db.rpc('increment_expert_usage', { p_project_id: projectId, p_expert_id: 'planner' })),
        );
        expect(increments.map((rows) => rows[0]!.version)).toEqual(Array(10).fill(1));
        expect(increments.map((rows) => rows[0]!.usage_count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

        // Re-upserting keeps the count; deactivating v1 leaves v3, the highest, to count.
        const [v1] = await upsertExpert(projectId, 'planner', 1, false, 'edited');
        expect(v1!.usage_count).toBe(10);
        expect(await db.rpc('increment_expert_usage', { p_project_id: projectId, p_expert_id: 'planner' })).toEqual([
          { expert_id: 'planner', version: 3, usage_count: 1 },
        ]);
        expect(await db.rpc('increment_expert_usage', { p_project_id: projectId, p_expert_id: 'nobody' })).toEqual([]);
      });

      it('leaves exactly one active version when several are activated at once', async () => {
        const projectId = await newProject();
        await Promise.all([1, 2, 3, 4, 5].map((version) => upsertExpert(projectId, 'planner', version, true)));
        const active = await db.rpc('list_experts', { p_project_id: projectId, p_active_only: true });
        expect(active).toHaveLength(1);
      });

      it('passes a JSON string or number to a jsonb argument as JSON', async () => {
        const projectId = await newProject();
        const [text] = await db.rpc('upsert_expert_signature', {
          p_project_id: projectId, p_expert_id: 'x', p_version: 1, p_signature: 's', p_active: true, p_performance: 'not an object',
        });
        expect(text!.performance).toBe('not an object');
        const [number] = await db.rpc('upsert_expert_signature', {
          p_project_id: projectId, p_expert_id: 'x', p_version: 2, p_signature: 's', p_active: true, p_performance: 42,
        });
        expect(number!.performance).toBe(42);
      });
    });

    describe('reflexions', () => {
      it('records reflexions and lists them newest first, optionally for one expert, with keyset pages', async () => {
        const projectId = await newProject();
        const [first] = await recordReflexion(projectId, 'planner', 0.25);
        expect(first).toEqual({
          id: expect.stringMatching(UUID),
          expert_id: 'planner',
          kind: 'failure_analysis',
          context: 'context',
          outcome: 'outcome',
          success: true,
          impact_score: 0.25,
          reuse_count: 0,
          created_at: expect.stringMatching(ISO_UTC),
        });
        for (let i = 0; i < 6; i++) await recordReflexion(projectId, i % 2 ? 'planner' : 'triage');
        const list = (expertId: string | null, limit: number) => (cursor: Cursor) =>
          db.rpc('list_reflexions', { p_project_id: projectId, p_expert_id: expertId, p_limit: limit, ...cursor });
        const all = await allPages(list(null, 3), 3);
        expect(all).toHaveLength(7);
        expect(new Set(all.map((r) => r.id)).size).toBe(7);
        expect([...all].sort(newestFirst)).toEqual(all);
        const planner = await allPages(list('planner', 2), 2);
        expect(planner.map((r) => r.expert_id)).toEqual(Array(4).fill('planner'));
        expect([...planner].sort(newestFirst)).toEqual(planner);
      });

      it('rejects an impact score outside 0..1', async () => {
        expect((await rejection(recordReflexion(await newProject(), 'planner', 1.5))).sqlState).toBe('23514');
      });
    });

    describe('reports', () => {
      it('creates reports and lists them newest first with keyset pages', async () => {
        const projectId = await newProject();
        const [report] = await createReport(projectId, { health: 64, overall: 'degraded', severity: 'warning' });
        expect(report).toEqual({
          id: expect.stringMatching(UUID),
          kind: 'health_check',
          health_score: 64,
          overall_health: 'degraded',
          severity: 'warning',
          title: 'Health check',
          data: {},
          resolved_at: null,
          created_at: expect.stringMatching(ISO_UTC),
        });
        for (let i = 0; i < 4; i++) await createReport(projectId);
        const all = await allPages(
          (cursor) => db.rpc('list_reports', { p_project_id: projectId, p_limit: 2, ...cursor }),
          2,
        );
        expect(all).toHaveLength(5);
        expect(new Set(all.map((r) => r.id)).size).toBe(5);
        expect([...all].sort(newestFirst)).toEqual(all);
      });

      it('rejects a health score outside 0..100 and an unknown severity', async () => {
        const projectId = await newProject();
        expect((await rejection(createReport(projectId, { health: 101 }))).sqlState).toBe('23514');
        expect((await rejection(createReport(projectId, { severity: 'fatal' as 'info' }))).sqlState).toBe('23514');
      });
    });

    describe('tenant isolation', () => {
      it('never shows one project the data of another', async () => {
        const [a, b] = [await newProject('tenant-a'), await newProject('tenant-b')];
        const now = Date.now();
        for (const [projectId, n] of [[a, 2], [b, 5]] as const) {
          await ingest(projectId, Array.from({ length: n }, (_, i) => run({ created_at: iso(now - (i + 1) * 60_000) })));
          await upsertExpert(projectId, `expert-of-${projectId}`, 1, true);
          await recordReflexion(projectId, 'planner');
          await createReport(projectId, { severity: 'critical', overall: 'critical', health: 10 });
          await newKey(projectId);
        }
        const window = { p_from: iso(now - HOUR_MS), p_to: iso(now + HOUR_MS) };
        const nullCursor = { p_before_created_at: null, p_before_id: null };

        expect(await listRuns(a, 100)).toHaveLength(2);
        const [overview] = await db.rpc('get_project_overview', { p_project_id: a });
        expect(overview).toMatchObject({ runs_24h: 2, active_experts: 1, reflexions: 1, open_critical_reports: 1 });
        expect((await db.rpc('get_token_stats', { p_project_id: a, ...window })).at(-1)).toMatchObject({ model: null, runs: 2 });
        expect((await db.rpc('get_performance_stats', { p_project_id: a, ...window })).at(-1)).toMatchObject({ model: null, runs: 2 });
        expect((await db.rpc('list_experts', { p_project_id: a, p_active_only: false })).map((e) => e.expert_id)).toEqual([`expert-of-${a}`]);
        expect(await db.rpc('increment_expert_usage', { p_project_id: a, p_expert_id: `expert-of-${b}` })).toEqual([]);
        expect(await db.rpc('list_reflexions', { p_project_id: a, p_expert_id: null, p_limit: 100, ...nullCursor })).toHaveLength(1);
        expect(await db.rpc('list_reports', { p_project_id: a, p_limit: 100, ...nullCursor })).toHaveLength(1);
        expect(await db.rpc('list_api_keys', { p_project_id: a })).toEqual([expect.objectContaining({ project_id: a })]);
      });
    });

    describe('operations', () => {
      it('lists the applied migrations, every file this build expects among them, for the health check', async () => {
        const rows = await db.rpc('iris_applied_migrations', {});
        const names = new Set(rows.map((row) => row.name));
        for (const name of EXPECTED_MIGRATIONS) expect(names.has(name), name).toBe(true);
        for (const row of rows) {
          expect(['iris', 'supabase']).toContain(row.source);
          if (row.source === 'iris') expect(row.applied_at).toMatch(ISO_UTC);
        }
      });
    });

    describe('adapter', () => {
      it('rejects an unknown RPC name as a DbError that is not an outage', async () => {
        const error = await rejection(db.rpc('drop_everything' as RpcName, {} as never));
        expect(error.fn).toBe('drop_everything');
        expect(error.unavailable).toBe(false);
      });

      it('closes twice harmlessly, and a closed SQL adapter rejects calls as unavailable', async () => {
        const other = await makeDb();
        await other.close();
        await other.close();
        if (!asSqlDb(other)) return;
        const error = await rejection(other.rpc('list_projects', {}));
        expect(error.unavailable).toBe(true);
      });
    });
  });
}
