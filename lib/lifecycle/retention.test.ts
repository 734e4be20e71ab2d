import { describe, expect, it } from 'vitest';
import type { Db, RpcName } from '../db/types.js';
import { RetentionOptionsError, RetentionSweepError, sweepRetention, type RetentionTable } from './retention.js';

/** A Db whose delete RPCs have `backlog` rows due per table, and a clock that moves `msPerCall` per RPC. */
function fakeDb(backlog: Record<string, number>, clock: { t: number; msPerCall: number }, failOn?: RpcName) {
  const calls: { name: string; limit: number }[] = [];
  const db = {
    kind: 'pglite',
    async rpc(name: RpcName, args: { p_limit: number }) {
      calls.push({ name, limit: args.p_limit });
      clock.t += clock.msPerCall;
      if (name === failOn) throw Object.assign(new Error('connection lost'), { sqlState: 'connection' });
      const deleted = Math.min(args.p_limit, backlog[name] ?? 0);
      backlog[name] = (backlog[name] ?? 0) - deleted;
      return [{ deleted }];
    },
    close: async () => undefined,
  } as unknown as Db;
  return { db, calls };
}

describe('sweepRetention', () => {
  it('deletes every table’s backlog in batches of batchSize, the tables in turn', async () => {
    const clock = { t: 0, msPerCall: 1 };
    const { db, calls } = fakeDb({ delete_expired_runs: 25, delete_expired_rollups: 12, delete_expired_idempotency_keys: 3 }, clock);
    const report = await sweepRetention(db, { batchSize: 10, now: () => clock.t });
    expect(report).toMatchObject({ outcome: 'complete', deleted: { model_runs: 25, run_rollups: 12, idempotency_keys: 3 }, batches: 6 });
    expect(calls.map((c) => c.name)).toEqual([
      'delete_expired_runs',
      'delete_expired_rollups',
      'delete_expired_idempotency_keys',
      'delete_expired_runs',
      'delete_expired_rollups',
      'delete_expired_runs',
    ]);
    expect(calls.every((c) => c.limit === 10)).toBe(true);
  });

  it('stops starting batches once the budget is spent and says so', async () => {
    const clock = { t: 0, msPerCall: 400 };
    const { db } = fakeDb({ delete_expired_runs: 1_000_000 }, clock);
    const batches: [RetentionTable, number][] = [];
    const report = await sweepRetention(db, { batchSize: 5000, budgetMs: 1000, now: () => clock.t, onBatch: (t, n) => batches.push([t, n]) });
    expect(report.outcome).toBe('budget_exhausted');
    // Batches start at 0, 400 and 800 ms (one per table); at 1,200 ms the budget is spent before the next.
    expect(report.batches).toBe(3);
    expect(report.deleted.model_runs).toBe(5000);
    expect(report.elapsedMs).toBe(1200);
    expect(batches).toEqual([
      ['model_runs', 5000],
      ['run_rollups', 0],
      ['idempotency_keys', 0],
    ]);
  });

  it('resumes where a stopped sweep left off, and finds nothing more to do once done', async () => {
    const clock = { t: 0, msPerCall: 600 };
    const backlog = { delete_expired_runs: 12_000 };
    const { db } = fakeDb(backlog, clock);
    const options = { batchSize: 5000, budgetMs: 1000, now: () => clock.t };
    const first = await sweepRetention(db, options);
    const second = await sweepRetention(db, options);
    const third = await sweepRetention(db, options);
    expect([first.outcome, second.outcome, third.outcome]).toEqual(['budget_exhausted', 'budget_exhausted', 'budget_exhausted']);
    expect(first.deleted.model_runs + second.deleted.model_runs + third.deleted.model_runs).toBe(12_000);
    const fourth = await sweepRetention(db, { ...options, budgetMs: 10_000 });
    expect(fourth).toMatchObject({ outcome: 'complete', deleted: { model_runs: 0, run_rollups: 0, idempotency_keys: 0 } });
  });

  it('reports what it deleted before a batch failed', async () => {
    const clock = { t: 0, msPerCall: 1 };
    const { db } = fakeDb({ delete_expired_runs: 7 }, clock, 'delete_expired_rollups');
    const error = await sweepRetention(db, { batchSize: 10, now: () => clock.t }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetentionSweepError);
    expect((error as RetentionSweepError).report.deleted.model_runs).toBe(7);
    expect(((error as RetentionSweepError).cause as Error).message).toBe('connection lost');
  });

  it('refuses a batch size or a budget out of range before touching the database', async () => {
    const clock = { t: 0, msPerCall: 1 };
    const { db, calls } = fakeDb({}, clock);
    await expect(sweepRetention(db, { batchSize: 0 })).rejects.toBeInstanceOf(RetentionOptionsError);
    await expect(sweepRetention(db, { batchSize: 50_001 })).rejects.toThrow(/batchSize/);
    await expect(sweepRetention(db, { budgetMs: 0 })).rejects.toThrow(/budgetMs/);
    expect(calls).toEqual([]);
  });
});
