import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvError } from './errors.js';
import type { KvStore } from './types.js';

/**
 * The one behaviour suite every `KvStore` passes (memory in memory.test.ts,
 * Upstash REST over the bridge and a real redis-server in
 * test/integration/kv-redis.test.ts). Keys carry a random prefix, so a shared
 * Redis needs no flushing between runs.
 */

export interface KvContractSubject {
  kv: KvStore;
  /**
   * Lets `ms` milliseconds pass: advance the injected clock, or really wait
   * for a real server. Expiry is then polled, so a server that expires keys a
   * little late still passes.
   */
  elapse(ms: number): Promise<void>;
  /**
   * A TTL short enough to wait for and long enough that a key read straight
   * after it is written is still there: any value for an injected clock,
   * a few hundred ms for a real server.
   */
  shortTtlMs: number;
  /** Releases what the factory started. */
  close?(): Promise<void>;
}

/** Polls `read` until it returns `expected` or `timeoutMs` passes, then asserts. */
async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let actual = await read();
  while (actual !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    actual = await read();
  }
  expect(actual).toBe(expected);
}

export function runKvContract(name: string, factory: () => KvContractSubject | Promise<KvContractSubject>): void {
  describe(`KvStore contract: ${name}`, () => {
    let subject: KvContractSubject;
    let kv: KvStore;
    let prefix: string;
    const key = (suffix: string) => `${prefix}:${suffix}`;

    beforeEach(async () => {
      subject = await factory();
      kv = subject.kv;
      prefix = `kv-contract:${crypto.randomUUID()}`;
    });

    afterEach(async () => {
      await subject.close?.();
    });

    it('reports its kind', () => {
      expect(['memory', 'upstash']).toContain(kv.kind);
    });

    it('answers null for a key that was never set', async () => {
      expect(await kv.get(key('missing'))).toBeNull();
    });

    it('returns what was set and overwrites on a second set', async () => {
      expect(await kv.set(key('a'), 'one')).toBe(true);
      expect(await kv.get(key('a'))).toBe('one');
      expect(await kv.set(key('a'), 'two')).toBe(true);
      expect(await kv.get(key('a'))).toBe('two');
    });

    it('keeps the empty string apart from a missing key', async () => {
      await kv.set(key('empty'), '');
      expect(await kv.get(key('empty'))).toBe('');
    });

    it('returns strings that look like numbers, JSON or status replies unchanged', async () => {
      const values = ['123', '007', '1e3', '-0', 'true', 'null', '{"a":1}', '[1,2]', 'OK', 'T0s=', ' padded '];
      for (const [i, value] of values.entries()) await kv.set(key(`shape:${i}`), value);
      expect(await kv.mget(values.map((_, i) => key(`shape:${i}`)))).toEqual(values);
    });

    it('round-trips unicode in keys and values', async () => {
      const value = 'héllo wörld, 日本語, emoji 🚀👩‍👩‍👧, combining é, rtl עברית';
      const unicodeKey = key('ключ/with spaces:and%percent?&=#');
      await kv.set(unicodeKey, value);
      expect(await kv.get(unicodeKey)).toBe(value);
    });

    it('round-trips control characters and every Latin-1 code point', async () => {
      let value = '';
      for (let c = 0; c < 256; c++) value += String.fromCharCode(c);
      value += '\r\n$5\r\n*1\r\n-ERR fake\r\n\ufffd\uffff';
      await kv.set(key('binary'), value);
      expect(await kv.get(key('binary'))).toBe(value);
    });

    it('round-trips a 1 MiB value', async () => {
      const chunk = 'abcdefghijklmnopqrstuvwxyz0123456789-_ü€'.repeat(64);
      const value = chunk.repeat(Math.ceil((1024 * 1024) / chunk.length)).slice(0, 1024 * 1024);
      expect(await kv.set(key('large'), value)).toBe(true);
      expect(await kv.get(key('large'))).toBe(value);
    });

    it('answers mget in order with null for missing keys', async () => {
      await kv.set(key('m1'), 'one');
      await kv.set(key('m3'), 'three');
      expect(await kv.mget([key('m1'), key('m2'), key('m3'), key('m1')])).toEqual(['one', null, 'three', 'one']);
    });

    it('answers mget of no keys with an empty list', async () => {
      expect(await kv.mget([])).toEqual([]);
    });

    it('sets with nx only when the key is absent and leaves the value alone otherwise', async () => {
      expect(await kv.set(key('lock'), 'owner-1', { nx: true })).toBe(true);
      expect(await kv.set(key('lock'), 'owner-2', { nx: true })).toBe(false);
      expect(await kv.get(key('lock'))).toBe('owner-1');
    });

    it('lets only one of many concurrent nx sets win', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => kv.set(key('race'), `owner-${i}`, { nx: true, ttlMs: 60_000 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('expires a key after its ttl', async () => {
      await kv.set(key('ttl'), 'soon gone', { ttlMs: subject.shortTtlMs });
      expect(await kv.get(key('ttl'))).toBe('soon gone');
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.get(key('ttl')), null);
      expect(await kv.mget([key('ttl')])).toEqual([null]);
    });

    it('lets a lock be taken again with nx once its ttl has passed', async () => {
      expect(await kv.set(key('lease'), 'first', { nx: true, ttlMs: subject.shortTtlMs })).toBe(true);
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.set(key('lease'), 'second', { nx: true, ttlMs: 60_000 }), true);
      expect(await kv.get(key('lease'))).toBe('second');
    });

    it('clears an earlier ttl when a key is set again without one', async () => {
      await kv.set(key('persist'), 'v1', { ttlMs: subject.shortTtlMs });
      await kv.set(key('persist'), 'v2');
      await subject.elapse(subject.shortTtlMs * 2);
      expect(await kv.get(key('persist'))).toBe('v2');
    });

    it('rounds a fractional ttl up and rejects a ttl that is not positive', async () => {
      expect(await kv.set(key('fraction'), 'v', { ttlMs: 60_000.5 })).toBe(true);
      for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(kv.set(key('bad-ttl'), 'v', { ttlMs })).rejects.toThrow(RangeError);
        await expect(kv.pexpire(key('fraction'), ttlMs)).rejects.toThrow(RangeError);
      }
      expect(await kv.get(key('bad-ttl'))).toBeNull();
    });

    it('deletes keys and counts only those that existed', async () => {
      await kv.set(key('d1'), 'x');
      await kv.set(key('d2'), 'y');
      expect(await kv.del(key('d1'), key('d2'), key('never'))).toBe(2);
      expect(await kv.mget([key('d1'), key('d2')])).toEqual([null, null]);
      expect(await kv.del(key('d1'))).toBe(0);
      expect(await kv.del()).toBe(0);
    });

    it('increments from zero for a missing key and from the stored integer otherwise', async () => {
      expect(await kv.incr(key('gen'))).toBe(1);
      expect(await kv.incr(key('gen'))).toBe(2);
      await kv.set(key('counter'), '41');
      expect(await kv.incr(key('counter'))).toBe(42);
      expect(await kv.get(key('counter'))).toBe('42');
      await kv.set(key('negative'), '-2');
      expect(await kv.incr(key('negative'))).toBe(-1);
    });

    it('gives every one of many concurrent increments its own value', async () => {
      const values = await Promise.all(Array.from({ length: 20 }, () => kv.incr(key('concurrent'))));
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('rejects incrementing a value that is not an integer, with a KvError', async () => {
      await kv.set(key('text'), 'abc');
      const error: unknown = await kv.incr(key('text')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KvError);
      expect(error).toMatchObject({ code: 'E_KV', op: 'incr', reason: 'error' });
      expect(await kv.get(key('text'))).toBe('abc');
      await kv.set(key('float'), '1.5');
      await expect(kv.incr(key('float'))).rejects.toBeInstanceOf(KvError);
    });

    it('keeps the ttl of a key it increments', async () => {
      await kv.set(key('windowed'), '5', { ttlMs: subject.shortTtlMs });
      expect(await kv.incr(key('windowed'))).toBe(6);
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.get(key('windowed')), null);
    });

    it('sets a ttl on an existing key with pexpire and reports a missing one', async () => {
      expect(await kv.pexpire(key('nothing'), 1000)).toBe(false);
      await kv.set(key('later'), 'v');
      expect(await kv.pexpire(key('later'), subject.shortTtlMs)).toBe(true);
      expect(await kv.get(key('later'))).toBe('v');
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.get(key('later')), null);
    });

    it('appends to a missing key and to an existing one, keeping its ttl', async () => {
      expect(await kv.append(key('dir'), 'a ')).toBe(2);
      expect(await kv.append(key('dir'), 'bc ')).toBe(5);
      expect(await kv.get(key('dir'))).toBe('a bc ');
      await kv.set(key('dir-ttl'), 'x', { ttlMs: subject.shortTtlMs });
      await kv.append(key('dir-ttl'), 'y');
      expect(await kv.get(key('dir-ttl'))).toBe('xy');
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.get(key('dir-ttl')), null);
    });

    it('keeps every one of many concurrent appends', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => kv.append(key('many'), `${i} `)));
      const parts = ((await kv.get(key('many'))) ?? '').trim().split(' ').map(Number);
      expect(parts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('deletes with delIfEquals only when the value matches', async () => {
      await kv.set(key('owned'), 'token-a');
      expect(await kv.delIfEquals(key('owned'), 'token-b')).toBe(false);
      expect(await kv.get(key('owned'))).toBe('token-a');
      expect(await kv.delIfEquals(key('owned'), 'token-a')).toBe(true);
      expect(await kv.get(key('owned'))).toBeNull();
      expect(await kv.delIfEquals(key('owned'), 'token-a')).toBe(false);
    });

    it('does not release with delIfEquals a lock that expired and was taken by another owner', async () => {
      await kv.set(key('mutex'), 'old-owner', { nx: true, ttlMs: subject.shortTtlMs });
      await subject.elapse(subject.shortTtlMs);
      await eventually(() => kv.set(key('mutex'), 'new-owner', { nx: true, ttlMs: 60_000 }), true);
      expect(await kv.delIfEquals(key('mutex'), 'old-owner')).toBe(false);
      expect(await kv.get(key('mutex'))).toBe('new-owner');
    });
  });
}
