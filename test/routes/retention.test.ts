import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * GET /api/cron/retention as Vercel Cron calls it, and the retention settings
 * of a project (docs/lifecycle.md).
 */
const CRON_SECRET = 'cron-secret-for-retention-tests';
const DAY_MS = 86_400_000;

let app: TestApp;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp({ env: { CRON_SECRET } });
  project = await app.createProject('Forgetful agents', { retention: { runsDays: 30, rollupsDays: 60 } });
});
afterAll(() => app.close());

const cron = (target: TestApp, authorization?: string) =>
  target.request('/api/cron/retention', authorization === undefined ? {} : { headers: { authorization } });

/** Runs stored with an old createdAt through the RPC (the route refuses them, as it should). */
async function ingestAged(projectId: string, ageDays: number[], tag: string): Promise<void> {
  await app.db.rpc('ingest_runs', {
    p_project_id: projectId,
    p_runs: ageDays.map((days) => ({
      expert_id: tag,
      model: 'gpt-4o-mini',
      input_tokens: 1,
      output_tokens: 1,
      cost_usd: 0,
      latency_ms: 10,
      outcome: 'success' as const,
      created_at: new Date(Date.now() - days * DAY_MS).toISOString(),
    })),
  });
}

const runsOf = async (projectId: string) =>
  Number((await app.db.query<{ n: number }>('select count(*)::int as n from model_runs where project_id = $1', [projectId]))[0]!.n);

describe('GET /api/cron/retention', () => {
  it('does not exist while CRON_SECRET is unset', async () => {
    const bare = await createTestApp({ db: app.db });
    try {
      const res = await cron(bare, `Bearer ${CRON_SECRET}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await bare.services.background.drain();
    }
  });

  it('refuses a missing, wrong or malformed secret with 401 and deletes nothing', async () => {
    await ingestAged(project.id, [45], 'refused');
    const before = await runsOf(project.id);
    for (const authorization of [undefined, '', 'Bearer', `Bearer ${CRON_SECRET}x`, `Bearer ${CRON_SECRET.slice(0, -1)}`, `Basic ${btoa(`cron:${CRON_SECRET}`)}`, CRON_SECRET, `Bearer ${ADMIN_TOKEN}`]) {
      const res = await cron(app, authorization);
      expect(res.status, String(authorization)).toBe(401);
      const body = (await res.json()) as { error: { code: string; requestId: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.requestId).toBe(res.headers.get('x-request-id'));
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(await runsOf(project.id)).toBe(before);
  });

  it('deletes what each project’s settings make due, and only that', async () => {
    const keeper = await app.createProject('Default retention');
    await ingestAged(project.id, [45, 31, 29, 1], 'mixed');
    await ingestAged(keeper.id, [45, 31, 29, 1], 'mixed');
    const res = await cron(app, `Bearer ${CRON_SECRET}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const report = (await res.json()) as { outcome: string; deleted: Record<string, number>; batches: number };
    expect(report.outcome).toBe('complete');
    expect(report.deleted.model_runs).toBeGreaterThanOrEqual(2);
    const ages = async (projectId: string) =>
      (await app.db.query<{ days: number }>('select floor(extract(epoch from now() - created_at) / 86400)::int as days from model_runs where project_id = $1 order by 1', [projectId])).map((r) => r.days);
    expect(await ages(project.id)).toEqual([1, 29]);
    expect(await ages(keeper.id)).toEqual([1, 29, 31, 45]);
    // A second call finds nothing more to do.
    const again = (await (await cron(app, `Bearer ${CRON_SECRET}`)).json()) as { deleted: Record<string, number> };
    expect(again.deleted).toEqual({ model_runs: 0, run_rollups: 0, idempotency_keys: 0 });
  });

  it('counts the rows it deleted by table and the sweeps by outcome in /api/metrics', async () => {
    await ingestAged(project.id, [50], 'counted');
    await cron(app, `Bearer ${CRON_SECRET}`);
    const text = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(text).toMatch(/retention_deleted_rows_total\{table="model_runs"\} [1-9]/);
    expect(text).toMatch(/retention_sweeps_total\{outcome="complete"\} [1-9]/);
    expect(text).toMatch(/auth_failures_total\{reason="cron_secret"\} [1-9]/);
  });

  it('stops when its time budget is spent, says so, and the next call carries on', async () => {
    // A clock that moves 7 s per reading: the 20 s budget is spent after three readings.
    let t = Date.now();
    const slow = await createTestApp({ db: app.db, env: { CRON_SECRET }, now: () => (t += 7_000) });
    try {
      const res = await cron(slow, `Bearer ${CRON_SECRET}`);
      expect(res.status).toBe(200);
      const report = (await res.json()) as { outcome: string; batches: number };
      expect(report.outcome).toBe('budget_exhausted');
      expect(report.batches).toBeLessThan(3);
      const text = await (await slow.request('/api/metrics?format=prometheus')).text();
      expect(text).toMatch(/retention_sweeps_total\{outcome="budget_exhausted"\} 1/);
    } finally {
      await slow.services.background.drain();
    }
    const next = (await (await cron(app, `Bearer ${CRON_SECRET}`)).json()) as { outcome: string };
    expect(next.outcome).toBe('complete');
  });

  it('takes no parameters and only GET', async () => {
    expect((await app.request('/api/cron/retention?batch=1', { headers: { authorization: `Bearer ${CRON_SECRET}` } })).status).toBe(422);
    const post = await app.request('/api/cron/retention', { method: 'POST', headers: { authorization: `Bearer ${CRON_SECRET}` } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('settings.retention', () => {
  it('is stored with the project when valid', async () => {
    const res = await app.request('/api/admin/projects', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { name: 'Valid retention', settings: { retention: { runsDays: 90, rollupsDays: 365 } } },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { settings: unknown }).settings).toEqual({ retention: { runsDays: 90, rollupsDays: 365 } });
  });

  it('refuses rollups kept for less time than raw runs, days out of 7 to 3650, and unknown fields', async () => {
    const before = await app.db.query<{ n: number }>('select count(*)::int as n from projects');
    for (const retention of [
      { runsDays: 90, rollupsDays: 30 },
      { runsDays: 900 , rollupsDays: 800 },
      { runsDays: 6 },
      { rollupsDays: 3651 },
      { runsDays: 30.5 },
      { runsDays: '30' },
      { keepForever: true },
      [],
    ]) {
      const res = await app.request('/api/admin/projects', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'Invalid retention', settings: { retention } } });
      expect(res.status, JSON.stringify(retention)).toBe(422);
    }
    expect(await app.db.query('select count(*)::int as n from projects')).toEqual(before);
  });

  it('accepts runsDays beyond 800 alone: the rollups then follow the raw runs', async () => {
    const res = await app.request('/api/admin/projects', { method: 'POST', key: ADMIN_TOKEN, json: { name: 'Long memory', settings: { retention: { runsDays: 1200 } } } });
    expect(res.status).toBe(201);
    const p = (await res.json()) as { id: string };
    const key = (await (await app.request('/api/admin/api-keys', { method: 'POST', key: ADMIN_TOKEN, json: { projectId: p.id } })).json()) as { key: string };
    // The backfill window stays 400 days whatever the retention.
    const old = new Date(Date.now() - 401 * DAY_MS).toISOString();
    expect((await app.request('/api/iris/runs', { method: 'POST', key: key.key, json: sampleRun({ createdAt: old }) })).status).toBe(422);
  });
});
