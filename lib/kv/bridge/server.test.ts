import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKvBridge, type KvBridge } from './server.js';

// These need no Redis: every request here is answered before a command would
// reach it, or is about Redis being unreachable (port 1 refuses connections).
// The bridge against a real redis-server is covered in
// test/integration/kv-redis.test.ts.

const TOKEN = 'bridge-unit-token';
let bridge: KvBridge;

beforeAll(async () => {
  bridge = await startKvBridge({ redisPort: 1, token: TOKEN });
});

afterAll(async () => {
  await bridge.close();
});

async function call(path: string, init: RequestInit & { token?: string | null } = {}) {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(`${bridge.url}${path}`, { method: 'POST', ...rest, headers });
  return { status: res.status, body: (await res.json()) as unknown };
}

describe('startKvBridge', () => {
  it('answers 401 without the right bearer token', async () => {
    expect(await call('/', { body: '["PING"]', token: null })).toEqual({ status: 401, body: { error: 'Unauthorized' } });
    expect((await call('/', { body: '["PING"]', token: 'wrong' })).status).toBe(401);
  });

  it('accepts the token as a _token query parameter', async () => {
    // Authorised, so the request reaches Redis, which is down here: 500, not 401.
    expect((await call(`/ping?_token=${TOKEN}`, { method: 'GET', token: null })).status).toBe(500);
  });

  it('answers 405 to methods the REST API does not take', async () => {
    expect((await call('/', { method: 'DELETE' })).status).toBe(405);
    expect((await call('/pipeline', { method: 'GET' })).status).toBe(405);
  });

  it('answers 400 to bodies that are not commands', async () => {
    for (const body of ['not json', '[]', '{"a":1}', '[["GET"]]', '["GET", {"a":1}]', '["GET", null]']) {
      const res = await call('/', { body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: expect.stringMatching(/^ERR /) });
    }
    expect((await call('/pipeline', { body: '["GET","k"]' })).status).toBe(400);
    expect((await call('/multi-exec', { body: '[]' })).status).toBe(400);
  });

  it('refuses commands that would change the shared connection without reaching Redis', async () => {
    for (const command of [['SELECT', '1'], ['subscribe', 'ch'], ['MULTI'], ['BLPOP', 'q', '0'], ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$']]) {
      const res = await call('/', { body: JSON.stringify(command) });
      expect(res).toEqual({ status: 400, body: { error: expect.stringContaining('not supported by the kv bridge') } });
    }
  });

  it('answers 413 to a body over maxBodyBytes', async () => {
    const small = await startKvBridge({ redisPort: 1, token: TOKEN, maxBodyBytes: 64 });
    try {
      const res = await fetch(small.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['SET', 'k', 'x'.repeat(100)]),
      });
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('answers 500 with an error body while Redis is unreachable', async () => {
    const res = await call('/', { body: '["GET","k"]' });
    expect(res).toEqual({ status: 500, body: { error: expect.stringContaining('ECONNREFUSED') } });
  });

  it('holds requests for delayMs when slowed down on demand', async () => {
    bridge.delayMs = 60_000;
    try {
      const pending = call('/', { body: '["GET","k"]', signal: AbortSignal.timeout(200) });
      await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      bridge.delayMs = 0;
    }
  });

  it('refuses to start without a token or with an impossible Redis port', async () => {
    await expect(startKvBridge({ redisPort: 6379, token: ' ' })).rejects.toThrow(/token/);
    await expect(startKvBridge({ redisPort: 70_000, token: TOKEN })).rejects.toThrow(/port/);
    await expect(startKvBridge({ redisUrl: 'http://x', token: TOKEN })).rejects.toThrow(/redis:\/\//);
  });
});
