import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../lib/db/errors.js';
import type { SqlDb } from '../../lib/db/types.js';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * Idempotent writes through the API (docs/lifecycle.md): the Idempotency-Key
 * header on every write route, client run ids, and what happens without
 * either. The database is the real PGlite with the real migrations; faults
 * are a Db wrapper that fails on demand.
 */
let app: TestApp;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp();
  project = await app.createProject('Idempotent agents', { rateLimit: { writesPerMinute: 100_000 } });
});
afterAll(() => app.close());

const key = () => crypto.randomUUID();

function post(target: TestApp, path: string, json: unknown, headers: Record<string, string> = {}, apiKey = project.key) {
  return target.request(path, { method: 'POST', key: apiKey, json, headers });
}

async function count(sql: string, params: unknown[] = [project.id]): Promise<number> {
  const [row] = await app.db.query<{ n: number }>(sql, params);
  return Number(row!.n);
}
/** The shared database with `rpc` replaced: a fault on demand, every other call passed through. */
function withRpc(rpc: SqlDb['rpc']): SqlDb {
  return { kind: app.db.kind, rpc, query: (sql, params) => app.db.query(sql, params), exec: (sql) => app.db.exec(sql), close: async () => undefined };
}

const runsOf = (projectId = project.id) => count('select count(*)::int as n from model_runs where project_id = $1', [projectId]);
/** Runs of the project as the rollups count them (the stats read these). */
const rolledUpRunsOf = (projectId = project.id) =>
  count(`select coalesce(sum(runs), 0)::int as n from run_rollups where project_id = $1 and dimension = 'all' and grain = 'hour'`, [projectId]);

describe('POST /api/iris/runs', () => {
  it('stores a batch posted twice without a key or ids twice: the documented behaviour when neither is given', async () => {
    const p = await app.createProject('no key, no ids');
    const batch = [sampleRun(), sampleRun({ latencyMs: 7 })];
    for (let i = 0; i < 2; i++) {
      const res = await post(app, '/api/iris/runs', batch, {}, p.key);
      expect(res.status).toBe(201);
      expect(await res.json()).toEqual({ inserted: 2, duplicates: 0 });
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await runsOf(p.id)).toBe(4);
  });

  it('stores a batch posted twice with one Idempotency-Key once and replays the first answer', async () => {
    const p = await app.createProject('keyed batch');
    const idempotencyKey = key();
    const batch = { runs: [sampleRun(), sampleRun(), sampleRun()] };
    const first = await post(app, '/api/iris/runs', batch, { 'idempotency-key': idempotencyKey }, p.key);
    const again = await post(app, '/api/iris/runs', batch, { 'idempotency-key': idempotencyKey }, p.key);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(await first.text());
    expect([await runsOf(p.id), await rolledUpRunsOf(p.id)]).toEqual([3, 3]);
  });

  it('stores runs with ids once when their batch is posted again without a key, and counts the repeats', async () => {
    const p = await app.createProject('run ids');
    const batch = [sampleRun({ id: crypto.randomUUID() }), sampleRun({ id: crypto.randomUUID() })];
    expect(await (await post(app, '/api/iris/runs', batch, {}, p.key)).json()).toEqual({ inserted: 2, duplicates: 0 });
    // Re-exported later inside a bigger batch: only the new run is stored.
    const res = await post(app, '/api/iris/runs', [...batch, sampleRun({ id: crypto.randomUUID() })], {}, p.key);
    expect(await res.json()).toEqual({ inserted: 1, duplicates: 2 });
    expect([await runsOf(p.id), await rolledUpRunsOf(p.id)]).toEqual([3, 3]);
  });

  it('answers 409 for a run id another project already used, and stores nothing of the batch', async () => {
    const [a, b] = [await app.createProject('id owner'), await app.createProject('id copier')];
    const id = crypto.randomUUID();
    expect((await post(app, '/api/iris/runs', sampleRun({ id }), {}, a.key)).status).toBe(201);
    const res = await post(app, '/api/iris/runs', [sampleRun(), sampleRun({ id })], {}, b.key);
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).not.toContain(a.id);
    expect(await runsOf(b.id)).toBe(0);
  });

  it('refuses runs older than the project’s raw-run retention, which a sweep would delete', async () => {
    const p = await app.createProject('short memory', { retention: { runsDays: 30 } });
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const res = await post(app, '/api/iris/runs', [sampleRun(), sampleRun({ createdAt: old })], {}, p.key);
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('more than 30 days old');
    expect(await runsOf(p.id)).toBe(0);
  });
});

describe('the Idempotency-Key header', () => {
  it('answers 422 for the same key with another body, runs nothing, and keeps the first answer', async () => {
    const idempotencyKey = key();
    const before = await runsOf();
    const first = await post(app, '/api/iris/runs', [sampleRun()], { 'idempotency-key': idempotencyKey });
    const other = await post(app, '/api/iris/runs', [sampleRun({ latencyMs: 999 })], { 'idempotency-key': idempotencyKey });
    expect(other.status).toBe(422);
    const body = (await other.json()) as { error: { code: string; details: { firstUsedAt: string } } };
    expect(body.error.code).toBe('idempotency_key_reused');
    expect(Date.parse(body.error.details.firstUsedAt)).not.toBeNaN();
    expect(await runsOf()).toBe(before + 1);
    const replay = await post(app, '/api/iris/runs', [sampleRun()], { 'idempotency-key': idempotencyKey });
    expect(await replay.text()).toBe(await first.text());
  });

  it('is bound to the method and path too: the key on another route is a different request', async () => {
    const idempotencyKey = key();
    expect((await post(app, '/api/iris/experts/nobody/usage', undefined, { 'idempotency-key': idempotencyKey })).status).toBe(404);
    const res = await post(app, '/api/iris/experts/somebody/usage', undefined, { 'idempotency-key': idempotencyKey });
    expect(res.status).toBe(422);
  });

  it('treats the draft’s quoted form and the bare form as one key, and ignores whitespace in the body', async () => {
    const idempotencyKey = key();
    const json = JSON.stringify({ kind: 'health', healthScore: 90, overallHealth: 'healthy', severity: 'info', title: 'quoted' });
    const first = await app.request('/api/iris/reports', {
      method: 'POST',
      key: project.key,
      body: json,
      headers: { 'content-type': 'application/json', 'idempotency-key': `"${idempotencyKey}"` },
    });
    const again = await app.request('/api/iris/reports', {
      method: 'POST',
      key: project.key,
      body: JSON.stringify(JSON.parse(json), null, 2),
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);
  });

  it('refuses a malformed key with 400 before anything is written', async () => {
    const before = await runsOf();
    for (const bad of ['short', 'k'.repeat(256), 'two words in it', 'x,y,z,w,v,u,t', '"unterminated-key', "'; drop table model_runs; --", 'cl\u00e9-d-idempotence']) {
      const res = await post(app, '/api/iris/runs', [sampleRun()], { 'idempotency-key': bad });
      expect(res.status, bad).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_idempotency_key');
      expect(body.error.message).not.toContain(bad);
    }
    expect(await runsOf()).toBe(before);
  });

  it('replays reports, reflexions, experts and usage counts instead of writing them twice', async () => {
    const p = await app.createProject('every write route');
    const twice = async (path: string, json: unknown) => {
      const idempotencyKey = key();
      const first = await post(app, path, json, { 'idempotency-key': idempotencyKey }, p.key);
      const again = await post(app, path, json, { 'idempotency-key': idempotencyKey }, p.key);
      expect(again.status, path).toBe(first.status);
      expect(again.headers.get('idempotent-replayed'), path).toBe('true');
      expect(await again.text(), path).toBe(await first.text());
    };
    await twice('/api/iris/experts', { expertId: 'planner', version: 1, signature: 'plan' });
    await twice('/api/iris/experts/planner/usage', undefined);
    await twice('/api/iris/reports', { kind: 'health', healthScore: 3, overallHealth: 'critical', severity: 'critical', title: 'disk full' });
    await twice('/api/iris/reflexions', { expertId: 'planner', kind: 'lesson', context: 'c', outcome: 'o', success: true, impactScore: 0.4 });
    const overview = (await (await app.request('/api/iris/overview', { key: p.key, headers: { 'cache-control': 'no-cache' } })).json()) as Record<string, unknown>;
    expect(overview).toMatchObject({ openCriticalReports: 1, reflexions: 1, activeExperts: 1 });
    const [usage] = await app.db.query<{ n: number }>('select usage_count::int as n from expert_signatures where project_id = $1', [p.id]);
    expect(usage!.n).toBe(1);
  });

  it('replays an API key an admin POST minted, and the replayed key is the one that works', async () => {
    const p = await app.createProject('minted once');
    const idempotencyKey = key();
    const mint = () => post(app, '/api/admin/api-keys', { projectId: p.id, label: 'ci' }, { 'idempotency-key': idempotencyKey }, ADMIN_TOKEN);
    const first = (await (await mint()).json()) as { id: string; key: string };
    const replayed = await mint();
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual(first);
    expect((await app.request('/api/iris/overview', { key: first.key })).status).toBe(200);
    expect(await count('select count(*)::int as n from api_keys where project_id = $1', [p.id])).toBe(2);
    // The plaintext is nowhere in the database: the record holds it sealed.
    const [record] = await app.db.query<{ text: string }>(`select string_agg(to_jsonb(k)::text, '') as text from idempotency_keys k where scope = 'admin'`);
    expect(record!.text).not.toContain(first.key);
  });

  it('rotates a key once when the rotation is retried with the same key', async () => {
    const p = await app.createProject('rotated once');
    const idempotencyKey = key();
    const rotate = () => post(app, `/api/admin/api-keys/${p.keyId}/rotate`, undefined, { 'idempotency-key': idempotencyKey }, ADMIN_TOKEN);
    const first = await rotate();
    const again = await rotate();
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(await again.text()).toBe(await first.text());
    expect(await count('select count(*)::int as n from api_keys where project_id = $1', [p.id])).toBe(2);
  });

  it('keeps admin keys apart from project keys: the same key in both scopes runs both', async () => {
    const idempotencyKey = key();
    const asAdmin = await post(app, '/api/admin/projects', { name: 'scoped' }, { 'idempotency-key': idempotencyKey }, ADMIN_TOKEN);
    const asProject = await post(app, '/api/iris/runs', [sampleRun()], { 'idempotency-key': idempotencyKey });
    expect([asAdmin.status, asProject.status]).toEqual([201, 201]);
    expect(asProject.headers.get('idempotent-replayed')).toBeNull();
  });

  it('counts keyed requests by route template and outcome, never by key', async () => {
    const idempotencyKey = key();
    await post(app, '/api/iris/experts/counted/usage', undefined, { 'idempotency-key': idempotencyKey });
    await post(app, '/api/iris/experts/counted/usage', undefined, { 'idempotency-key': idempotencyKey });
    const text = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(text).toMatch(/idempotent_requests_total\{route="\/api\/iris\/experts\/:expertId\/usage",outcome="replayed"\} [1-9]/);
    expect(text).not.toContain(idempotencyKey);
    expect(app.logs.join('\n')).not.toContain(idempotencyKey);
  });
});

describe('across instances and failures', () => {
  it('replays on a second instance sharing the database what the first stored', async () => {
    const two = await createTestApp({ db: app.db });
    try {
      const p = await app.createProject('fleet');
      const idempotencyKey = key();
      const batch = [sampleRun({ id: crypto.randomUUID() }), sampleRun()];
      const first = await post(app, '/api/iris/runs', batch, { 'idempotency-key': idempotencyKey }, p.key);
      const again = await post(two, '/api/iris/runs', batch, { 'idempotency-key': idempotencyKey }, p.key);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.text()).toBe(await first.text());
      // The same batch without the key, on the second instance: the run with an id is still stored once.
      expect(await (await post(two, '/api/iris/runs', batch, {}, p.key)).json()).toEqual({ inserted: 1, duplicates: 1 });
      expect(await runsOf(p.id)).toBe(3);
    } finally {
      await two.services.background.drain();
    }
  });

  it('makes a retry after a 503 safe: the write had committed, the retry replays it', async () => {
    // A database whose answer to one write is lost after it committed, as when PostgreSQL stops mid-response.
    let loseNextAnswer = false;
    const lossy = withRpc((async (name, args) => {
      const rows = await app.db.rpc(name, args);
      if (name === 'write_once' && loseNextAnswer) {
        loseNextAnswer = false;
        throw new DbError(name, 'connection', 'the connection dropped before the answer arrived');
      }
      return rows;
    }) as SqlDb['rpc']);
    const flaky = await createTestApp({ db: lossy });
    try {
      const p = await flaky.createProject('lost answer');
      const idempotencyKey = key();
      const report = { kind: 'health', healthScore: 5, overallHealth: 'critical', severity: 'critical', title: 'committed, then lost' };
      loseNextAnswer = true;
      const lost = await post(flaky, '/api/iris/reports', report, { 'idempotency-key': idempotencyKey }, p.key);
      expect(lost.status).toBe(503);
      const retry = await post(flaky, '/api/iris/reports', report, { 'idempotency-key': idempotencyKey }, p.key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(await count('select count(*)::int as n from iris_reports where project_id = $1', [p.id])).toBe(1);
    } finally {
      await flaky.close();
    }
  });

  it('answers 409 with Retry-After while the key’s first request is still running', async () => {
    const busy = withRpc((async (name, args) =>
      name === 'write_once' ? [{ outcome: 'in_flight', result: null, sealed: null, first_seen_at: null }] : app.db.rpc(name, args)) as SqlDb['rpc']);
    const other = await createTestApp({ db: busy });
    try {
      const res = await post(other, '/api/iris/runs', [sampleRun()], { 'idempotency-key': key() });
      expect(res.status).toBe(409);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_in_flight');
    } finally {
      await other.close();
    }
  });
});
