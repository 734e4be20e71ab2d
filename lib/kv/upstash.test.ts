import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvBridge, type KvBridge } from './bridge/index.js';
import { KvError } from './errors.js';
import { createUpstashKv, createUpstashRedis } from './upstash.js';

// Failure paths need no Redis: a bridge that holds every request stands in for
// a slow Redis, and one fronting a closed port for a broken one. Everything
// that needs answers from Redis is in test/integration/kv-redis.test.ts.

const TOKEN = 'upstash-unit-token';
let slow: KvBridge;
let broken: KvBridge;

beforeAll(async () => {
  slow = await startKvBridge({ redisPort: 1, token: TOKEN, delayMs: 60_000 });
  broken = await startKvBridge({ redisPort: 1, token: TOKEN });
});

afterAll(async () => {
  await Promise.all([slow.close(), broken.close()]);
});

async function failure(promise: Promise<unknown>): Promise<KvError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KvError);
  return error as KvError;
}

describe('createUpstashKv', () => {
  it('rejects every method with reason timeout when the server does not answer within timeoutMs', async () => {
    const kv = createUpstashKv({ url: slow.url, token: TOKEN, timeoutMs: 20 });
    const calls = {
      get: kv.get('k'),
      mget: kv.mget(['a', 'b']),
      set: kv.set('k', 'v', { nx: true, ttlMs: 1000 }),
      del: kv.del('k'),
      incr: kv.incr('k'),
      pexpire: kv.pexpire('k', 1000),
      delIfEquals: kv.delIfEquals('k', 'v'),
    };
    for (const [op, call] of Object.entries(calls)) {
      expect(await failure(call)).toMatchObject({ code: 'E_KV', op, reason: 'timeout' });
    }
  });

  it('rejects with reason error and the server message when Redis is unreachable', async () => {
    const error = await failure(createUpstashKv({ url: broken.url, token: TOKEN, timeoutMs: 5000 }).get('k'));
    expect(error).toMatchObject({ op: 'get', reason: 'error' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('rejects with reason error when the token is refused', async () => {
    const error = await failure(createUpstashKv({ url: broken.url, token: 'wrong', timeoutMs: 5000 }).incr('k'));
    expect(error).toMatchObject({ op: 'incr', reason: 'error' });
    expect(error.message).toContain('Unauthorized');
  });

  it('answers empty mget and del without a round trip', async () => {
    const kv = createUpstashKv({ url: slow.url, token: TOKEN, timeoutMs: 20 });
    expect(await kv.mget([])).toEqual([]);
    expect(await kv.del()).toBe(0);
  });

  it('exposes the client it built and shares one given to it', () => {
    const kv = createUpstashKv({ url: broken.url, token: TOKEN });
    expect(kv.kind).toBe('upstash');
    expect(kv.redis).toBeInstanceOf(Redis);
    const shared = createUpstashRedis({ url: broken.url, token: TOKEN });
    expect(createUpstashKv({ redis: shared }).redis).toBe(shared);
  });

  it('refuses a shared client that would deserialise values', () => {
    const redis = new Redis({ url: broken.url, token: TOKEN, enableTelemetry: false });
    expect(() => createUpstashKv({ redis })).toThrow(/automaticDeserialization: false/);
  });

  it('names the option that is unusable', () => {
    expect(() => createUpstashKv({ url: 'redis://x', token: TOKEN })).toThrow(/url/);
    expect(() => createUpstashKv({ url: broken.url, token: '' })).toThrow(/token/);
    expect(() => createUpstashKv({ url: broken.url, token: TOKEN, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createUpstashKv({ url: broken.url, token: TOKEN, requestTimeoutMs: -1 })).toThrow(/requestTimeoutMs/);
    expect(() => createUpstashKv({ url: broken.url, token: TOKEN, retries: 1.5 })).toThrow(/retries/);
  });
});
