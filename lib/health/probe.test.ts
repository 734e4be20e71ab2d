import { describe, expect, it } from 'vitest';
import { createManualTimers, deferred, settle } from '../cache/testing.js';
import { DbError, EXPECTED_MIGRATIONS, type Db } from '../db/index.js';
import { HEALTH_MIGRATION } from '../db/manifest.js';
import { createMemoryKv, KvError, type KvStore } from '../kv/index.js';
import { compareMigrations } from './migrations.js';
import { createHealthProbe, type HealthReport } from './probe.js';

const applied = EXPECTED_MIGRATIONS.map((name) => ({ name, applied_at: '2026-11-30T00:00:00Z', source: 'iris' as const }));

/**
 * A probe whose database and KV do what each test says, on a clock the fakes
 * advance (a "slow" answer is one the clock says took long) and timers the
 * test fires. `answer` is called once per probe of that dependency.
 */
function setup(options: {
  db?: (clock: { advance(ms: number): void }) => Promise<unknown>;
  kv?: (clock: { advance(ms: number): void }) => Promise<string | null>;
  circuits?: HealthReport['circuits'];
}) {
  let now = 0;
  const clock = { advance: (ms: number) => void (now += ms) };
  const timers = createManualTimers();
  const db = {
    kind: 'postgres',
    rpc: (name: string) => {
      if (name !== 'iris_applied_migrations') throw new Error(`unexpected ${name}`);
      return options.db ? options.db(clock) : Promise.resolve(applied);
    },
    close: async () => {},
  } as unknown as Db;
  const kv: KvStore = { ...createMemoryKv(), kind: 'upstash', get: () => (options.kv ? options.kv(clock) : Promise.resolve(null)) };
  const probe = createHealthProbe({
    db,
    kv,
    circuits: () => options.circuits ?? { db: 'closed', kv: 'closed' },
    clock: () => now,
    schedule: timers.schedule,
  });
  return { probe, timers };
}

/** Runs a check whose dependencies never answer: fires the budgets' timers once the calls are out. */
async function checkTimingOut(s: ReturnType<typeof setup>): Promise<HealthReport> {
  const report = s.probe.check();
  await settle();
  s.timers.fire();
  return report;
}

describe('the health probe', () => {
  it('reports ok when the database and the KV answer at once and every migration is applied', async () => {
    const report = await setup({}).probe.check();
    expect(report).toMatchObject({
      status: 'ok',
      database: { kind: 'postgres', required: true, status: 'up', latencyMs: 0 },
      migrations: { status: 'current', missing: [], unexpected: [], applied: { count: EXPECTED_MIGRATIONS.length } },
      kv: { kind: 'upstash', required: false, status: 'up' },
      circuits: { db: 'closed', kv: 'closed' },
    });
    expect(report.database.reason).toBeUndefined();
  });

  it('reports a slow database as slow, with its latency, and the whole as degraded', async () => {
    const report = await setup({
      db: async (clock) => {
        clock.advance(400);
        return applied;
      },
    }).probe.check();
    expect(report).toMatchObject({ status: 'degraded', database: { status: 'slow', latencyMs: 400 }, migrations: { status: 'current' } });
  });

  it('reports a database that does not answer within its budget as down (timeout): the whole is down', async () => {
    const s = setup({ db: () => deferred<unknown>().promise });
    const report = await checkTimingOut(s);
    expect(report).toMatchObject({ status: 'down', database: { status: 'down', reason: 'timeout' }, migrations: { status: 'unknown', applied: null } });
  });

  it('reports an unreachable database as down (connection), with the SQLSTATE and no message', async () => {
    const report = await setup({ db: () => Promise.reject(new DbError('iris_applied_migrations', 'connection', 'connect ECONNREFUSED 10.1.2.3:5432')) }).probe.check();
    expect(report).toMatchObject({ status: 'down', database: { status: 'down', reason: 'connection', sqlState: 'connection' } });
    expect(JSON.stringify(report)).not.toContain('10.1.2.3');
  });

  it('reports a database without the health function as up but behind its migrations: the whole is down', async () => {
    for (const sqlState of ['42883', 'PGRST202']) {
      const report = await setup({ db: () => Promise.reject(new DbError('iris_applied_migrations', sqlState, 'function does not exist')) }).probe.check();
      // Everything from the migration that adds the function on is missing.
      const missing = EXPECTED_MIGRATIONS.slice(EXPECTED_MIGRATIONS.indexOf(HEALTH_MIGRATION));
      expect(missing[0]).toBe('0006_operations.sql');
      expect(report, sqlState).toMatchObject({ status: 'down', database: { status: 'up' }, migrations: { status: 'behind', missing } });
    }
  });

  it('reports missing, unknown and untracked migrations', async () => {
    const behind = await setup({ db: async () => applied.slice(0, 4) }).probe.check();
    expect(behind).toMatchObject({ status: 'down', migrations: { status: 'behind', missing: EXPECTED_MIGRATIONS.slice(4) } });
    const ahead = await setup({ db: async () => [...applied, { name: '0099_future.sql', applied_at: null, source: 'supabase' }] }).probe.check();
    expect(ahead).toMatchObject({ status: 'degraded', migrations: { status: 'ahead', unexpected: ['0099_future.sql'] } });
    const untracked = await setup({ db: async () => [] }).probe.check();
    expect(untracked).toMatchObject({ status: 'degraded', migrations: { status: 'untracked', applied: null } });
  });

  it('reports a failing, silent or slow KV, and the whole as degraded, never down: the KV is optional', async () => {
    const failing = await setup({ kv: () => Promise.reject(new KvError('get', 'error', 'refused')) }).probe.check();
    expect(failing).toMatchObject({ status: 'degraded', kv: { status: 'down', reason: 'error' } });
    const silent = await checkTimingOut(setup({ kv: () => deferred<string | null>().promise }));
    expect(silent).toMatchObject({ status: 'degraded', kv: { status: 'down', reason: 'timeout' }, database: { status: 'up' } });
    const slow = await setup({
      kv: async (clock) => {
        clock.advance(120);
        return null;
      },
    }).probe.check();
    expect(slow).toMatchObject({ status: 'degraded', kv: { status: 'slow', latencyMs: 120 } });
  });

  it('reports an open circuit as degraded even when the dependency answers the probe', async () => {
    expect(await setup({ circuits: { db: 'open', kv: 'closed' } }).probe.check()).toMatchObject({ status: 'degraded', database: { status: 'up' } });
    expect(await setup({ circuits: { db: 'closed', kv: 'half-open' } }).probe.check()).toMatchObject({ status: 'degraded' });
    expect(await setup({ circuits: { db: 'closed', kv: 'none' } }).probe.check()).toMatchObject({ status: 'ok' });
  });

  it('never rejects, even when an adapter throws synchronously', async () => {
    const report = await setup({
      db: () => {
        throw new Error('boom');
      },
    }).probe.check();
    expect(report).toMatchObject({ database: { status: 'up', reason: 'error' }, migrations: { status: 'unknown' }, status: 'degraded' });
  });
});

describe('compareMigrations', () => {
  it('compares names whatever their order or duplicates (two trackers may list a file twice)', () => {
    const expected = ['0001_a.sql', '0002_b.sql'];
    expect(compareMigrations(['0002_b.sql', '0001_a.sql', '0001_a.sql'], expected)).toEqual({
      status: 'current',
      expected: { count: 2, latest: '0002_b.sql' },
      applied: { count: 2, latest: '0002_b.sql' },
      missing: [],
      unexpected: [],
    });
    expect(compareMigrations(null, expected).status).toBe('unknown');
  });
});
