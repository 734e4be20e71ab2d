import { describe, expect, it } from 'vitest';
import type { Db, RpcArgs } from '../db/types.js';
import { createKeyUsage } from './usage.js';

/** A Db that records record_key_usage batches, or fails on demand. */
function recordingDb() {
  const batches: RpcArgs<'record_key_usage'>['p_usage'][] = [];
  let fail = false;
  const db = {
    kind: 'pglite',
    async rpc(name: string, args: RpcArgs<'record_key_usage'>) {
      if (name !== 'record_key_usage') throw new Error(`unexpected ${name}`);
      if (fail) throw new Error('database down');
      batches.push(args.p_usage);
      return [{ updated: args.p_usage.length }];
    },
    async close() {},
  } as unknown as Db;
  return { db, batches, setFail: (v: boolean) => (fail = v) };
}

describe('key usage', () => {
  it('batches many requests into one write per interval', async () => {
    let now = 1_000_000;
    const { db, batches } = recordingDb();
    const tasks: Promise<unknown>[] = [];
    const usage = createKeyUsage({ db, now: () => now, flushIntervalMs: 10_000, runInBackground: (_l, t) => tasks.push(t()) });
    for (let i = 0; i < 500; i++) usage.record(i % 2 ? 'key-a' : 'key-b');
    expect(tasks).toHaveLength(0);
    now += 10_000;
    usage.record('key-a');
    await Promise.all(tasks);
    expect(batches).toHaveLength(1);
    const counts = Object.fromEntries(batches[0]!.map((u) => [u.key_id, u.count]));
    expect(counts).toEqual({ 'key-a': 251, 'key-b': 250 });
    expect(batches[0]!.find((u) => u.key_id === 'key-a')!.last_used_at).toBe(new Date(now).toISOString());
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    const { db, batches, setFail } = recordingDb();
    const usage = createKeyUsage({ db, runInBackground: () => {} });
    usage.record('k');
    usage.record('k');
    setFail(true);
    await expect(usage.flush()).rejects.toThrow('database down');
    usage.record('k');
    setFail(false);
    await usage.flush();
    expect(batches).toEqual([[expect.objectContaining({ key_id: 'k', count: 3 })]]);
    expect(usage.pendingKeys).toBe(0);
  });
});
