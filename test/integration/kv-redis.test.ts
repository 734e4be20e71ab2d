import { spawnSync } from 'node:child_process';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvBridge, type KvBridge } from '../../lib/kv/bridge/index.js';
import { RedisConnection } from '../../lib/kv/bridge/redis-connection.js';
import { runKvContract } from '../../lib/kv/contract.js';
import { createUpstashKv, KvError } from '../../lib/kv/index.js';
import { startRedis, type RedisServer } from './harness/index.js';
import { waitFor } from './harness/process.js';

// The Upstash KvStore and the REST bridge against real redis-server:
// - the contract against the harness's bridge (IRIS_TEST_KV_URL/_TOKEN);
// - the bridge protocol, @upstash/redis and @upstash/ratelimit unmodified,
//   timeouts, a frozen Redis and a dropped connection, against a redis-server
//   this file starts (skipped when the redis-server binary is missing).

const harnessUrl = process.env.IRIS_TEST_KV_URL;
const harnessToken = process.env.IRIS_TEST_KV_TOKEN;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

/** TTL for contract tests on a real server: short to wait for, long enough to read back at once on a busy machine. */
const REAL_SHORT_TTL_MS = 300;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.skipIf(!harnessUrl || !harnessToken)('Upstash KvStore through the harness bridge', () => {
  runKvContract('upstash via the harness bridge', () => ({
    kv: createUpstashKv({ url: harnessUrl ?? '', token: harnessToken ?? '', timeoutMs: 10_000 }),
    shortTtlMs: REAL_SHORT_TTL_MS,
    elapse: sleep,
  }));
});

describe.skipIf(!hasRedisServer)('kv bridge in front of its own redis-server', () => {
  const TOKEN = 'kv-redis-test-token';
  let redis: RedisServer;
  let bridge: KvBridge;

  beforeAll(async () => {
    redis = await startRedis();
    bridge = await startKvBridge({ redisPort: redis.port, token: TOKEN });
  });

  afterAll(async () => {
    await bridge?.close();
    await redis?.stop();
  });

  runKvContract('upstash via a bridge to its own redis-server', () => ({
    kv: createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 }),
    shortTtlMs: REAL_SHORT_TTL_MS,
    elapse: sleep,
  }));

  const unique = (name: string) => `kv-redis-test:${crypto.randomUUID()}:${name}`;

  async function rest(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${bridge.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  describe('REST protocol', () => {
    it('answers a single command with its result, or 400 and the Redis error', async () => {
      const k = unique('single');
      expect(await rest('/', ['SET', k, 'v'])).toEqual({ status: 200, body: { result: 'OK' } });
      expect(await rest('/', ['GET', k])).toEqual({ status: 200, body: { result: 'v' } });
      expect(await rest('/', ['INCR', k])).toEqual({ status: 400, body: { error: 'ERR value is not an integer or out of range' } });
      expect(await rest('/', ['NOSUCHCOMMAND'])).toMatchObject({ status: 400, body: { error: expect.stringMatching(/unknown command/) } });
    });

    it('base64-encodes result strings except OK when asked with Upstash-Encoding', async () => {
      const k = unique('b64');
      const base64 = { 'upstash-encoding': 'base64' };
      expect(await rest('/', ['SET', k, 'é'], base64)).toEqual({ status: 200, body: { result: 'OK' } });
      expect(await rest('/', ['MGET', k, unique('none')], base64)).toEqual({ status: 200, body: { result: ['w6k=', null] } });
      expect(await rest('/', ['PING'], base64)).toEqual({ status: 200, body: { result: 'UE9ORw==' } });
      expect(await rest('/', ['STRLEN', k], base64)).toEqual({ status: 200, body: { result: 2 } });
    });

    it('runs a pipeline in order with a result or an error per command', async () => {
      const k = unique('pipe');
      const res = await rest('/pipeline', [['SET', k, 'x'], ['INCR', k], ['GET', k], ['SELECT', '1'], ['APPEND', k, 'y']]);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([
        { result: 'OK' },
        { error: 'ERR value is not an integer or out of range' },
        { result: 'x' },
        { error: expect.stringContaining('not supported by the kv bridge') },
        { result: 2 },
      ]);
    });

    it('runs /multi-exec atomically with runtime errors per command', async () => {
      const k = unique('tx');
      const res = await rest('/multi-exec', [['SET', k, 'a'], ['INCR', k], ['APPEND', k, 'b']]);
      expect(res).toEqual({ status: 200, body: [{ result: 'OK' }, { error: 'ERR value is not an integer or out of range' }, { result: 2 }] });
    });

    it('discards the whole /multi-exec with 400 when Redis refuses a command while queueing', async () => {
      const k = unique('abort');
      const res = await rest('/multi-exec', [['SET', k, 'a'], ['NOSUCHCOMMAND']]);
      expect(res).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^EXECABORT .*unknown command/) } });
      expect(await rest('/', ['EXISTS', k])).toEqual({ status: 200, body: { result: 0 } });
    });

    it('takes path-style commands, a POST body as the last argument and query parameters after it', async () => {
      const k = unique('path/with slash');
      const auth = { authorization: `Bearer ${TOKEN}` };
      const encoded = encodeURIComponent(k);
      let res = await fetch(`${bridge.url}/set/${encoded}/plain`, { headers: auth });
      expect(await res.json()).toEqual({ result: 'OK' });
      res = await fetch(`${bridge.url}/set/${encoded}?PX=60000`, { method: 'POST', headers: auth, body: '{"raw": "json value"}' });
      expect(await res.json()).toEqual({ result: 'OK' });
      res = await fetch(`${bridge.url}/get/${encoded}`, { headers: auth });
      expect(await res.json()).toEqual({ result: '{"raw": "json value"}' });
      res = await fetch(`${bridge.url}/pttl/${encoded}`, { headers: auth });
      expect((await res.json()) as { result: number }).toMatchObject({ result: expect.any(Number) });
    });
  });

  describe('redis:// URLs', () => {
    it('authenticates and selects the database given in the URL, and answers 500 on a wrong password', async () => {
      const user = `bridge-${crypto.randomUUID()}`;
      const admin = new RedisConnection({ host: '127.0.0.1', port: redis.port });
      const urlBridge = await startKvBridge({ redisUrl: `redis://${user}:s3cret@127.0.0.1:${redis.port}/3`, token: TOKEN });
      const wrongBridge = await startKvBridge({ redisUrl: `redis://${user}:wrong@127.0.0.1:${redis.port}/3`, token: TOKEN });
      try {
        await admin.send([['ACL', 'SETUSER', user, 'on', '>s3cret', '~*', '&*', '+@all']]);
        const k = unique('db3');
        const kv = createUpstashKv({ url: urlBridge.url, token: TOKEN, timeoutMs: 10_000 });
        await kv.set(k, 'in db 3');
        const [, inDb3, , inDb0] = await admin.send([['SELECT', '3'], ['GET', k], ['SELECT', '0'], ['GET', k]]);
        expect([String(inDb3), inDb0]).toEqual(['in db 3', null]);
        const error = await createUpstashKv({ url: wrongBridge.url, token: TOKEN, timeoutMs: 10_000 }).get(k).catch((e: unknown) => e);
        expect(error).toMatchObject({ reason: 'error', message: expect.stringMatching(/handshake failed: WRONGPASS/) });
      } finally {
        await admin.send([['ACL', 'DELUSER', user]]).catch(() => undefined);
        await Promise.all([admin.close(), urlBridge.close(), wrongBridge.close()]);
      }
    });
  });

  describe('@upstash/redis, unmodified', () => {
    it('works with its defaults: base64 responses, auto-pipelining and JSON deserialisation', async () => {
      const client = new Redis({ url: bridge.url, token: TOKEN, enableTelemetry: false });
      const k = unique('defaults');
      const [setReply, value, missing] = await Promise.all([
        client.set(k, { nested: ['a', 1], text: 'ü' }),
        client.get<{ nested: unknown[]; text: string }>(k),
        client.get(unique('missing')),
      ]);
      expect(setReply).toBe('OK');
      expect(value).toEqual({ nested: ['a', 1], text: 'ü' });
      expect(missing).toBeNull();
      expect(await client.hset(unique('h'), { f: 'v', g: 2 })).toBe(2);
    });

    it('runs pipelines and transactions', async () => {
      const client = new Redis({ url: bridge.url, token: TOKEN, enableTelemetry: false, enableAutoPipelining: false });
      const k = unique('multi');
      expect(await client.pipeline().set(k, 1).incr(k).get(k).exec()).toEqual(['OK', 2, 2]);
      expect(await client.multi().incr(k).incr(k).exec()).toEqual([3, 4]);
    });

    it('loads and runs Lua scripts, including ones carrying Upstash-only shebang flags', async () => {
      const client = new Redis({ url: bridge.url, token: TOKEN, enableTelemetry: false, enableAutoPipelining: false });
      const script = '#!lua flags=allow-key-locking\nreturn {KEYS[1], tonumber(ARGV[1]) + 1}';
      const k = unique('lua');
      await client.scriptFlush();
      await expect(client.evalsha(await sha1Hex(script), [k], ['1'])).rejects.toThrow(/NOSCRIPT/);
      expect(await client.eval(script, [k], ['1'])).toEqual([k, 2]);
      expect(await client.evalsha(await sha1Hex(script), [k], ['2'])).toEqual([k, 3]);
      expect(await client.scriptLoad(script)).toBe(await sha1Hex(script));
      expect(await client.scriptExists(await sha1Hex(script))).toEqual([1]);
    });
  });

  describe('@upstash/ratelimit, unmodified', () => {
    it('limits with a sliding window, falling back from EVALSHA to EVAL after a script flush', async () => {
      const kv = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 });
      await kv.redis.scriptFlush();
      const limiter = new Ratelimit({
        redis: kv.redis,
        limiter: Ratelimit.slidingWindow(3, '60 s'),
        prefix: unique('ratelimit'),
        ephemeralCache: false,
      });
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await limiter.limit('client-1'));
      expect(results.map((r) => r.success)).toEqual([true, true, true, false, false]);
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0]);
      expect(results.every((r) => r.reason === undefined)).toBe(true);
      expect((await limiter.limit('client-2')).success).toBe(true);
      expect(await limiter.getRemaining('client-1')).toMatchObject({ remaining: 0 });
    });

    it('limits with a token bucket and a fixed window', async () => {
      const redisClient = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 }).redis;
      for (const algorithm of [Ratelimit.tokenBucket(1, '60 s', 2), Ratelimit.fixedWindow(2, '60 s')]) {
        const limiter = new Ratelimit({ redis: redisClient, limiter: algorithm, prefix: unique('rl'), ephemeralCache: false });
        const outcomes = [];
        for (let i = 0; i < 3; i++) outcomes.push((await limiter.limit('id')).success);
        expect(outcomes).toEqual([true, true, false]);
      }
    });
  });

  describe('faults', () => {
    it('rejects with reason timeout within the budget while the bridge is slow', async () => {
      const slow = await startKvBridge({ redisPort: redis.port, token: TOKEN, delayMs: 5_000 });
      try {
        const kv = createUpstashKv({ url: slow.url, token: TOKEN, timeoutMs: 50 });
        const started = Date.now();
        const error: unknown = await kv.get(unique('slow')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(KvError);
        expect(error).toMatchObject({ op: 'get', reason: 'timeout' });
        // Generous bound: the point is not waiting for the bridge's 5 s delay.
        expect(Date.now() - started).toBeLessThan(2_500);
      } finally {
        await slow.close();
      }
    });

    it('rejects with reason timeout while Redis is frozen and answers again once it thaws', async () => {
      const kv = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 100 });
      const k = unique('frozen');
      await kv.set(k, 'v');
      redis.pause();
      try {
        expect(await kv.get(k).catch((e: unknown) => e)).toMatchObject({ op: 'get', reason: 'timeout' });
      } finally {
        redis.resume();
      }
      const patient = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 });
      expect(await patient.get(k)).toBe('v');
    });

    it('reconnects after Redis drops the bridge connection', async () => {
      const kv = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 });
      const k = unique('dropped');
      await kv.set(k, 'kept');
      const admin = new RedisConnection({ host: '127.0.0.1', port: redis.port });
      try {
        const [killed] = await admin.send([['CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes']]);
        expect(killed).toBeGreaterThanOrEqual(1);
      } finally {
        await admin.close();
      }
      // A request racing the close may still fail once; the next ones reconnect.
      await waitFor(async () => (await kv.get(k).catch(() => null)) === 'kept', { what: 'the bridge to reconnect', timeoutMs: 10_000 });
    });

    // Last: it stops this file's redis-server.
    it('rejects with reason error while Redis is down', async () => {
      const kv = createUpstashKv({ url: bridge.url, token: TOKEN, timeoutMs: 10_000 });
      await redis.stop();
      expect(await kv.get(unique('down')).catch((e: unknown) => e)).toMatchObject({ op: 'get', reason: 'error' });
      expect(await kv.incr(unique('down')).catch((e: unknown) => e)).toBeInstanceOf(KvError);
    });
  });
});

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return Buffer.from(digest).toString('hex');
}
