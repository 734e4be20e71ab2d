import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../lib/auth/index.js';
import { DbError } from '../../lib/db/errors.js';
import { createChaosDb, type ChaosDb } from '../../lib/db/testing.js';
import type { SqlDb } from '../../lib/db/types.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp } from '../support/app.js';

const METRICS_TOKEN = 'metrics-token-for-security-tests';
const ORIGIN = 'https://dash.example.com';

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp({ env: { IRIS_METRICS_TOKEN: METRICS_TOKEN, IRIS_CORS_ORIGINS: `${ORIGIN},https://ops.example.com` } });
});
afterAll(() => app.close());

describe('CORS', () => {
  it('answers a preflight from a listed origin with that origin, never *', async () => {
    const res = await app.request('/api/iris/overview', {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('vary')).toMatch(/Origin/);
  });

  it('adds nothing for an origin that is not listed', async () => {
    const res = await app.request('/api/health', { headers: { origin: 'https://evil.example.com' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('exposes the cache and rate-limit headers to a listed origin on real responses', async () => {
    const p = await app.createProject('cors');
    const res = await app.request('/api/iris/overview', { key: p.key, headers: { origin: ORIGIN } });
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toMatch(/ETag.*X-Cache.*RateLimit-Remaining/);
  });
});

describe('secrets', () => {
  it('never appear in logs, error bodies or metrics, whatever happens', async () => {
    const p = await app.createProject('secrets');
    const revoked = await app.createProject('revoked');
    const keyHash = await sha256Hex(p.key);
    const revokedHash = await sha256Hex(revoked.key);
    const bodies: string[] = [];
    const send = async (path: string, init: Parameters<TestApp['request']>[1]) => {
      const res = await app.request(path, init);
      const text = await res.text();
      // Only the endpoints that mint a key return one, and only that key.
      if (!path.startsWith('/api/admin/api-keys')) bodies.push(text);
      return res;
    };

    await send('/api/iris/overview', { key: p.key });
    await send('/api/iris/runs', { method: 'POST', key: p.key, json: [sampleRun(), { nope: true }] });
    await send('/api/iris/runs', { method: 'POST', key: p.key, body: '{"broken":', headers: { 'content-type': 'application/json' } });
    await send(`/api/admin/api-keys/${revoked.keyId}/revoke`, { method: 'POST', key: ADMIN_TOKEN });
    await send('/api/iris/overview', { key: revoked.key });
    await send('/api/iris/overview', { key: `${p.key}x` });
    await send('/api/admin/projects', { key: `${ADMIN_TOKEN}-wrong` });
    await send('/api/metrics', { key: `${METRICS_TOKEN}-wrong` });
    await send(`/api/admin/api-keys/${p.keyId}/rotate`, { method: 'POST', key: ADMIN_TOKEN });

    // A database failure on a fresh instance logs the error: the log must not carry the key either.
    const failing = await createTestApp({ db: brokenDb(app.db), env: { IRIS_METRICS_TOKEN: METRICS_TOKEN } });
    const res = await failing.request('/api/iris/overview', { key: p.key });
    expect(res.status).toBe(503);
    bodies.push(await res.text());

    const metrics = await (await app.request('/api/metrics?format=prometheus', { key: METRICS_TOKEN })).text();
    const everything = [...app.logs, ...failing.logs, ...bodies, metrics].join('\n');
    expect(failing.logs.join('\n')).toMatch(/request failed|database/);
    for (const secret of [p.key, revoked.key, ADMIN_TOKEN, METRICS_TOKEN, keyHash, revokedHash]) {
      expect(everything.includes(secret), `leaked ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});

describe('client values in logs', () => {
  it('are never logged: a database error is logged by function and SQLSTATE, at warn for a refused value and at error for the unexpected', async () => {
    let chaos!: ChaosDb;
    const instance = await createTestApp({ wrapDb: (db) => (chaos = createChaosDb(db)) });
    try {
      const p = await instance.createProject('logged values');
      const marker = 'client-value-9f3a1c';
      // What Postgres's messages look like: they quote the value they refused.
      chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '22P02', `invalid input syntax for type uuid: "${marker}"`) }, ['create_report']);
      chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '42883', `function does_not_exist("${marker}") does not exist`) }, ['list_reflexions']);
      const report = { kind: 'health', healthScore: 1, overallHealth: 'healthy', severity: 'info', title: marker };
      expect((await instance.request('/api/iris/reports', { method: 'POST', key: p.key, json: report })).status).toBe(422);
      expect((await instance.request(`/api/iris/reflexions?expertId=${marker}`, { key: p.key })).status).toBe(503);
      await instance.services.background.drain();
      const failed = instance.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.message === 'request failed');
      expect(failed.map((line) => [line.level, line.fn, line.sqlState])).toEqual(
        expect.arrayContaining([
          ['warn', 'create_report', '22P02'],
          ['error', 'list_reflexions', '42883'],
        ]),
      );
      expect(instance.logs.join('\n')).not.toContain(marker);
    } finally {
      await instance.close();
    }
  });
});

/** A Db whose every RPC fails as an unreachable database would. */
function brokenDb(db: SqlDb): SqlDb {
  return {
    ...db,
    kind: db.kind,
    rpc: async (name: string) => {
      throw new DbError(name, 'connection', 'connect ECONNREFUSED 127.0.0.1:5432');
    },
    close: async () => {},
  } as SqlDb;
}
