import { describe, expect, it } from 'vitest';
import { runKvContract } from './contract.js';
import { KvError } from './errors.js';
import { createMemoryKv, ENTRY_OVERHEAD_BYTES } from './memory.js';

function clock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

runKvContract('memory', () => {
  const c = clock();
  return {
    kv: createMemoryKv({ now: c.now }),
    shortTtlMs: 1000,
    elapse: async (ms) => c.advance(ms),
  };
});

/** Bytes charged for a key and value, as MemoryKvOptions.maxBytes documents. */
const cost = (key: string, value: string) => (key.length + value.length) * 2 + ENTRY_OVERHEAD_BYTES;

describe('createMemoryKv', () => {
  it('keeps a key until the clock reaches its expiry and drops it at that instant', async () => {
    const c = clock();
    const kv = createMemoryKv({ now: c.now });
    await kv.set('k', 'v', { ttlMs: 100 });
    c.advance(99);
    expect(await kv.get('k')).toBe('v');
    c.advance(1);
    expect(await kv.get('k')).toBeNull();
    expect(kv.stats().entries).toBe(0);
  });

  it('evicts the least recently used key beyond maxEntries', async () => {
    const kv = createMemoryKv({ maxEntries: 2 });
    await kv.set('a', '1');
    await kv.set('b', '2');
    await kv.get('a'); // b is now the least recently used
    await kv.set('c', '3');
    expect(await kv.mget(['a', 'b', 'c'])).toEqual(['1', null, '3']);
    expect(kv.stats()).toMatchObject({ entries: 2, evictions: 1 });
  });

  it('evicts least recently used keys until the bytes fit maxBytes', async () => {
    const value = 'x'.repeat(100);
    const kv = createMemoryKv({ maxBytes: cost('k1', value) * 3 });
    for (const k of ['k1', 'k2', 'k3']) await kv.set(k, value);
    expect(kv.stats().bytes).toBe(cost('k1', value) * 3);
    await kv.set('k4', value.repeat(2));
    expect(await kv.mget(['k1', 'k2', 'k3', 'k4'])).toEqual([null, null, value, value.repeat(2)]);
    expect(kv.stats()).toMatchObject({ entries: 2, evictions: 2 });
  });

  it('accounts bytes again when a key is overwritten, incremented or deleted', async () => {
    const kv = createMemoryKv();
    await kv.set('k', 'long value');
    await kv.set('k', '9');
    expect(kv.stats().bytes).toBe(cost('k', '9'));
    await kv.incr('k');
    expect(kv.stats().bytes).toBe(cost('k', '10'));
    await kv.del('k');
    expect(kv.stats()).toEqual({ entries: 0, bytes: 0, evictions: 0 });
  });

  it('refuses a value larger than maxBytes and keeps the previous one', async () => {
    const kv = createMemoryKv({ maxBytes: 1024 });
    await kv.set('k', 'small');
    const error: unknown = await kv.set('k', 'x'.repeat(1024)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvError);
    expect(error).toMatchObject({ op: 'set', reason: 'error' });
    expect(await kv.get('k')).toBe('small');
  });

  it('rejects an increment past the safe integer range', async () => {
    const kv = createMemoryKv();
    await kv.set('big', String(Number.MAX_SAFE_INTEGER));
    await expect(kv.incr('big')).rejects.toMatchObject({ op: 'incr', reason: 'error' });
  });

  it('names the option when a bound is not a positive integer', () => {
    expect(() => createMemoryKv({ maxEntries: 0 })).toThrow(/maxEntries/);
    expect(() => createMemoryKv({ maxBytes: Number.POSITIVE_INFINITY })).toThrow(/maxBytes/);
    expect(() => createMemoryKv({ maxBytes: 1.5 })).toThrow(/maxBytes/);
  });

  it('keeps instances apart', async () => {
    const a = createMemoryKv();
    const b = createMemoryKv();
    await a.set('k', 'a');
    expect(await b.get('k')).toBeNull();
  });
});
