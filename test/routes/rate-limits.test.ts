import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../lib/auth/index.js';
import type { JsonSummary } from '../../lib/telemetry/index.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp } from '../support/app.js';

let app: TestApp;
// The instance's clock stands still: a run that straddles a window boundary on a busy machine would otherwise
// get a fresh budget halfway through a test and count the wrong number of 401s and 429s.
const clock = Date.now();

beforeAll(async () => {
  app = await createTestApp({ env: { IRIS_IP_LIMIT_PER_MINUTE: '100' }, now: () => clock });
});
afterAll(() => app.close());

/** A project with its own small limits, created through the admin API from its own address. */
async function limitedProject(readsPerMinute: number, writesPerMinute: number) {
  const admin = { key: ADMIN_TOKEN, headers: { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250)}` } };
  const p = (await (
    await app.request('/api/admin/projects', { method: 'POST', ...admin, json: { name: 'limited', settings: { rateLimit: { readsPerMinute, writesPerMinute } } } })
  ).json()) as { id: string };
  const k = (await (await app.request('/api/admin/api-keys', { method: 'POST', ...admin, json: { projectId: p.id } })).json()) as { key: string };
  return { id: p.id, key: k.key };
}

describe('per-key limits', () => {
  it('answer 429 with Retry-After, the RateLimit headers and a body naming the limit', async () => {
    const p = await limitedProject(5, 100);
    const ok = [];
    for (let i = 0; i < 5; i++) ok.push(await app.request('/api/iris/overview', { key: p.key }));
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(ok[0]!.headers.get('ratelimit-limit')).toBe('5');
    expect(ok[0]!.headers.get('ratelimit-remaining')).toBe('4');
    expect(ok[4]!.headers.get('x-ratelimit-remaining')).toBe('0');

    const limited = await app.request('/api/iris/overview', { key: p.key });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    // Measured on the instance's clock, which stands still (see `clock`).
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(clock / 1000);
    const body = (await limited.json()) as { error: { code: string; message: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toMatch(/read limit of 5 requests per 60 s .* will pass again in \d+ s/);
    expect(body.error.details).toMatchObject({ limit: 'read', limitPerWindow: 5, windowS: 60, resetAt: expect.any(String), retryAt: expect.any(String) });
  });

  it('answer 429 with a Retry-After after which the next request passes (issue 11), not merely the end of the window', async () => {
    const windowMs = 60_000;
    let now = windowMs * 29_000_000 + 1_000;
    const clocked = await createTestApp({ db: app.db, now: () => now });
    try {
      const admin = { key: ADMIN_TOKEN };
      const created = await clocked.request('/api/admin/projects', { method: 'POST', ...admin, json: { name: 'retry-after', settings: { rateLimit: { readsPerMinute: 20 } } } });
      const { id } = (await created.json()) as { id: string };
      const { key } = (await (await clocked.request('/api/admin/api-keys', { method: 'POST', ...admin, json: { projectId: id } })).json()) as { key: string };
      for (let i = 0; i < 20; i++) expect((await clocked.request('/api/iris/experts', { key })).status).toBe(200);
      const limited = await clocked.request('/api/iris/experts', { key });
      expect(limited.status).toBe(429);
      const retryAfterS = Number(limited.headers.get('retry-after'));
      const { details } = ((await limited.json()) as { error: { details: { resetAt: string; retryAt: string } } }).error;
      // At the end of the window the 20 requests of the one before still count in full: that would not pass.
      now = Date.parse(details.resetAt);
      expect((await clocked.request('/api/iris/experts', { key })).status).toBe(429);
      // After Retry-After (from the first refusal), the next request passes.
      now = windowMs * 29_000_000 + 1_000 + retryAfterS * 1000;
      expect(now).toBeGreaterThanOrEqual(Date.parse(details.retryAt));
      expect((await clocked.request('/api/iris/experts', { key })).status).toBe(200);
    } finally {
      await clocked.services.background.drain();
    }
  });

  it('keep reads and writes on separate budgets', async () => {
    const p = await limitedProject(2, 3);
    for (let i = 0; i < 2; i++) expect((await app.request('/api/iris/runs', { key: p.key })).status).toBe(200);
    expect((await app.request('/api/iris/runs', { key: p.key })).status).toBe(429);
    const writes = [];
    for (let i = 0; i < 4; i++) writes.push((await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun() })).status);
    expect(writes).toEqual([201, 201, 201, 429]);
  });

  it('store nothing from a limited write', async () => {
    const p = await limitedProject(100, 1);
    expect((await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun() })).status).toBe(201);
    expect((await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun() })).status).toBe(429);
    const [row] = await app.db.query<{ n: number }>('select count(*)::int as n from model_runs where project_id = $1', [p.id]);
    expect(row!.n).toBe(1);
  });
});

describe('per-IP limits', () => {
  it('cap key guessing: 10,000 random keys from one address authenticate none and are limited after the budget', async () => {
    const statuses = new Map<number, number>();
    const from = { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' };
    for (let i = 0; i < 10_000; i++) {
      const res = await app.request('/api/iris/overview', { key: generateApiKey(), headers: from });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    expect(statuses.get(200)).toBeUndefined();
    expect(statuses.get(401)).toBe(100);
    expect(statuses.get(429)).toBe(9_900);
    // Another address still has its budget.
    const other = await app.request('/api/iris/overview', { key: generateApiKey(), headers: { 'x-forwarded-for': '203.0.113.10' } });
    expect(other.status).toBe(401);
  }, 120_000);

  it('do not slow down a known key from a busy address', async () => {
    const p = await limitedProject(1000, 1000);
    const from = { 'x-forwarded-for': '192.0.2.77' };
    await app.request('/api/iris/overview', { key: p.key, headers: from });
    for (let i = 0; i < 150; i++) await app.request('/api/iris/overview', { key: generateApiKey(), headers: from });
    // The key is in the auth cache, so its requests cost the address nothing.
    expect((await app.request('/api/iris/overview', { key: p.key, headers: from })).status).toBe(200);
  });

  it('apply to public and admin routes', async () => {
    const from = { 'x-forwarded-for': '192.0.2.200' };
    const statuses = [];
    for (let i = 0; i < 101; i++) statuses.push((await app.request('/api/health', { headers: from })).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses[100]).toBe(429);
    expect((await app.request('/api/admin/projects', { key: ADMIN_TOKEN, headers: from })).status).toBe(429);
  });

  it('are counted by result and reason', async () => {
    const summary = (await (await app.request('/api/metrics', { headers: { 'x-forwarded-for': '192.0.2.1' } })).json()) as JsonSummary;
    expect(summary.rateLimit.decisions).toBeGreaterThan(0);
    expect(summary.rateLimit.blockRate).toBeGreaterThan(0);
  });
});
