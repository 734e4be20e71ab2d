/**
 * The rollups on a real PostgreSQL 15: the analytics contract, 200 concurrent
 * writers into the same hours and models, and a database migrated from the
 * schema before rollups (0001-0003) with runs already in it.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAnalyticsContract } from '../../lib/analytics/contract.js';
import { defaultMigrationsDir, migrate, readMigrations } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { RunInput } from '../../lib/db/types.js';
import { startPostgres, testDatabases, type PostgresServer } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const HOUR_MS = 3_600_000;

describe.skipIf(!adminUrl)('rollups on PostgreSQL 15', () => {
  const dbs = testDatabases(adminUrl, 'iris_analytics');
  let contractUrl = '';
  beforeAll(async () => {
    contractUrl = await dbs.createMigrated();
  });

  runAnalyticsContract('postgres', async () => createPostgresDb({ url: contractUrl, poolMax: 4 }));

  it('builds the rollups of runs stored before the rollups existed when 0004 is applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iris-migrations-'));
    try {
      const files = await readMigrations();
      for (const file of files.filter((f) => f.name < '0004')) cpSync(join(defaultMigrationsDir(), file.name), join(dir, file.name));
      const db = dbs.connect(await dbs.create());
      await migrate(db, { dir });
      const [project] = await db.rpc('create_project', { p_name: 'before rollups', p_settings: {} });
      const now = Date.now();
      const runs: RunInput[] = Array.from({ length: 500 }, (_, i) => ({
        expert_id: `e${i % 3}`,
        agent_id: i % 4 === 0 ? null : `a${i % 5}`,
        model: `m${i % 4}`,
        input_tokens: i,
        output_tokens: 2 * i,
        cost_usd: (i % 17) / 1000,
        latency_ms: 10 + (i * 37) % 5000,
        outcome: i % 9 === 0 ? 'failure' : 'success',
        created_at: new Date(now - (i % 72) * HOUR_MS - 1000).toISOString(),
      }));
      // The 0002 ingest_runs: raw rows only.
      await db.rpc('ingest_runs', { p_project_id: project!.id, p_runs: runs });
      await migrate(db);
      expect(await db.rpc('check_run_rollups', { p_project_id: project!.id, p_from: new Date(now - 4 * 24 * HOUR_MS).toISOString(), p_to: new Date(now + HOUR_MS).toISOString() })).toEqual([]);
      const [totals] = (await db.rpc('get_token_stats', { p_project_id: project!.id, p_from: new Date(now - 4 * 24 * HOUR_MS).toISOString(), p_to: new Date(now).toISOString() })).slice(-1);
      expect(totals).toMatchObject({ runs: 500, input_tokens: (499 * 500) / 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('under 200 concurrent writers', () => {
    let server: PostgresServer;
    beforeAll(async () => {
      // A server of its own: 200 connections at once is more than the shared one allows.
      server = await startPostgres({ settings: { max_connections: '260', deadlock_timeout: '100ms' } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('loses no update and deadlocks nowhere when every writer hits the same hours and models', async () => {
      // No statement timeout: 200 writers queueing on the same rows of the current hour on 2 cores wait
      // longer than the API's 1 s budget, and this test is about what they store, not how fast.
      const db = dbs.connect(server.url, { poolMax: 210, statementTimeoutMs: null, connectTimeoutMs: 10_000 });
      await migrate(db);
      const [project] = await db.rpc('create_project', { p_name: 'contended', p_settings: {} });
      const base = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
      const models = ['gpt-4o', 'gpt-4o-mini', 'claude-3-5-haiku'];
      // Each writer's batch touches the same two hours, three models, four agents and
      // two prompt versions, in its own order, so writers lock shared rows in different
      // orders unless ingest sorts them.
      const batch = (writer: number, round: number): RunInput[] =>
        Array.from({ length: 60 }, (_, i) => {
          const k = (i * 7 + writer * 13 + round) % 60;
          return {
            expert_id: `expert-${k % 5}`,
            agent_id: `agent-${(k + writer) % 4}`,
            model: models[(k + writer) % 3]!,
            prompt_version: k % 2 ? 'v1' : 'v2',
            input_tokens: k,
            output_tokens: writer,
            cost_usd: (k + 1) / 1e6,
            latency_ms: 100 + k * 11 + writer,
            outcome: k % 10 === 0 ? 'failure' : 'success',
            created_at: new Date(base + ((k * 1_000_003 + writer) % (2 * HOUR_MS))).toISOString(),
          };
        });
      const writers = 200;
      const rounds = 3;
      const errors: unknown[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          for (let round = 0; round < rounds; round++) {
            await db.rpc('ingest_runs', { p_project_id: project!.id, p_runs: batch(writer, round) }).catch((e: unknown) => errors.push(e));
          }
        }),
      );
      expect(errors).toEqual([]);
      const window = { p_project_id: project!.id, p_from: new Date(base - HOUR_MS).toISOString(), p_to: new Date(base + 3 * HOUR_MS).toISOString() };
      expect(await db.rpc('check_run_rollups', window)).toEqual([]);
      const [totals] = (await db.rpc('get_token_stats', window)).slice(-1);
      expect(totals).toMatchObject({ runs: writers * rounds * 60 });
    });
  });
});
