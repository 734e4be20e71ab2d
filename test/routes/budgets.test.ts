import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, rowCounts, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * Budgets through the real api/ modules on PGlite: CRUD with the project key,
 * spend in the current period to the cent, the check's answer per subject,
 * hard limits refusing once spend reaches them, crossings recorded once
 * with one webhook event each, and the overview's project budget.
 */
let app: TestApp;
let p: TestProject;

interface Budget {
  id: string;
  name: string;
  scope: string;
  scopeValue: string | null;
  period: string;
  timeZone: string;
  amountUsd: number;
  thresholds: number[];
  hardLimit: boolean;
  failMode: string;
  spentUsd: number;
  remainingUsd: number;
  utilization: number;
  exceeded: boolean;
  thresholdsCrossed: number[];
  periodStart: string;
  periodEnd: string;
}
interface Check {
  allowed: boolean;
  remainingUsd: number | null;
  periodEndsAt: string | null;
  budgets: Budget[];
  degraded: null | { reason: string };
}

const create = (project: TestProject, json: unknown, headers: Record<string, string> = {}) =>
  app.request('/api/iris/budgets', { method: 'POST', key: project.key, json, headers });
const list = async (project: TestProject) => ((await (await app.request('/api/iris/budgets', { key: project.key })).json()) as { data: Budget[] }).data;
const check = async (project: TestProject, query = '') => (await (await app.request(`/api/iris/budgets/check${query}`, { key: project.key })).json()) as Check;
/** Ingests runs and waits for the background evaluation of the project's budgets. */
async function ingest(project: TestProject, runs: Record<string, unknown>[]) {
  const res = await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: runs });
  expect(res.status).toBe(201);
  await app.services.background.drain();
}
const crossings = async (projectId: string) =>
  (
    await app.db.query<{ threshold: string }>(
      'select c.threshold::text as threshold from budget_crossings c join budgets b on b.id = c.budget_id where b.project_id = $1 order by c.threshold',
      [projectId],
    )
  ).map((r) => Number(r.threshold));
const events = async (projectId: string) =>
  (await app.db.query<{ payload: { threshold: number } }>("select payload from webhook_events where project_id = $1 and type = 'budget.threshold_crossed'", [projectId])).map(
    (r) => Number(r.payload.threshold),
  );

beforeAll(async () => {
  app = await createTestApp();
  p = await app.createProject('Budgets');
});
afterAll(() => app.close());

describe('POST /api/iris/budgets', () => {
  it('creates a project budget with the documented defaults: UTC, thresholds at 50, 80 and 100%, no hard limit, failing open', async () => {
    const q = await app.createProject('Defaults');
    const res = await create(q, { name: 'Monthly', period: 'month', amountUsd: 100 });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({
      name: 'Monthly',
      scope: 'project',
      scopeValue: null,
      period: 'month',
      timeZone: 'UTC',
      amountUsd: 100,
      thresholds: [0.5, 0.8, 1],
      hardLimit: false,
      failMode: 'open',
    });
  });

  it('spells a time zone as the IANA database does and refuses one it does not know, storing nothing', async () => {
    const q = await app.createProject('Zones');
    const ok = await create(q, { name: 'Berlin', period: 'day', amountUsd: 5, timeZone: 'europe/berlin' });
    expect(((await ok.json()) as Budget).timeZone).toBe('Europe/Berlin');
    const res = await create(q, { name: 'Mars', period: 'day', amountUsd: 5, timeZone: 'Mars/Olympus_Mons' });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('timeZone');
    expect((await list(q)).map((b) => b.name)).toEqual(['Berlin']);
  });

  it.each([
    ['a project budget naming a scope value', { scopeValue: 'agent-1' }, 'scopeValue'],
    ['an agent budget naming no agent', { scope: 'agent' }, 'scopeValue'],
    ['thresholds out of order', { thresholds: [0.8, 0.5] }, 'thresholds'],
    ['a threshold of zero', { thresholds: [0, 1] }, 'thresholds'],
    ['an amount of zero', { amountUsd: 0 }, 'amountUsd'],
    ['a period of a year', { period: 'year' }, 'period'],
    ['an unknown field', { owner: 'me' }, 'owner'],
    ['another project in the body', { projectId: '00000000-0000-4000-8000-000000000000' }, 'projectId'],
  ])('answers %s with a 422 naming the field and stores nothing', async (_label, change, field) => {
    const before = await rowCounts(app.db);
    const res = await create(p, { name: 'Bad', period: 'day', amountUsd: 10, ...change });
    expect([403, 422]).toContain(res.status);
    expect(JSON.stringify(await res.json())).toContain(field);
    expect(await rowCounts(app.db)).toEqual(before);
  });

  it('replays a retried create under the same Idempotency-Key instead of creating a second budget', async () => {
    const q = await app.createProject('Retried');
    const body = { name: 'Daily', period: 'day', amountUsd: 3 };
    const first = await create(q, body, { 'Idempotency-Key': 'budget-create-1' });
    const second = await create(q, body, { 'Idempotency-Key': 'budget-create-1' });
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as Budget).id).toBe(((await first.json()) as Budget).id);
    expect(await list(q)).toHaveLength(1);
  });
});

describe('spend', () => {
  it('counts the runs of the current period to the cent, whole hours from rollups and the rest from raw runs', async () => {
    const q = await app.createProject('Spend');
    await create(q, { name: 'Day', period: 'day', amountUsd: 1 });
    await create(q, { name: 'Planner', scope: 'expert', scopeValue: 'planner', period: 'day', amountUsd: 1 });
    const now = Date.now();
    const startOfDay = now - (now % 86_400_000);
    await ingest(q, [
      sampleRun({ costUsd: 0.1, createdAt: new Date(now).toISOString() }),
      sampleRun({ costUsd: 0.2, expertId: 'coder', createdAt: new Date(Math.max(startOfDay, now - 3_600_000)).toISOString() }),
      // Yesterday: another period.
      sampleRun({ costUsd: 5, createdAt: new Date(startOfDay - 60_000).toISOString() }),
    ]);
    const budgets = await list(q);
    expect(budgets.find((b) => b.name === 'Day')).toMatchObject({ spentUsd: 0.3, remainingUsd: 0.7, utilization: 0.3, thresholdsCrossed: [] });
    expect(budgets.find((b) => b.name === 'Planner')).toMatchObject({ spentUsd: 0.1, remainingUsd: 0.9 });
    expect(budgets[0]!.periodStart).toBe(new Date(startOfDay).toISOString());
    expect(budgets[0]!.periodEnd).toBe(new Date(startOfDay + 86_400_000).toISOString());
  });

  it('keys a week to Monday and a month to its first day in the budget time zone', async () => {
    const q = await app.createProject('Periods');
    await create(q, { name: 'Week', period: 'week', amountUsd: 1, timeZone: 'Asia/Kolkata' });
    const [week] = await list(q);
    const start = new Date(week!.periodStart);
    // Midnight in Kolkata (UTC+05:30) is 18:30 UTC the day before; a Monday there.
    expect([start.getUTCHours(), start.getUTCMinutes()]).toEqual([18, 30]);
    expect(new Date(start.getTime() + 5.5 * 3_600_000).getUTCDay()).toBe(1);
    expect(Date.parse(week!.periodEnd) - start.getTime()).toBe(7 * 86_400_000);
  });
});

describe('GET /api/iris/budgets/check', () => {
  it('allows a call when no budget applies, with nothing remaining to report', async () => {
    const q = await app.createProject('No budgets');
    const res = await app.request('/api/iris/budgets/check?agentId=a', { key: q.key });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(await res.json()).toEqual({ allowed: true, remainingUsd: null, periodEndsAt: null, budgets: [], degraded: null });
    expect(res.headers.get('vary')).toMatch(/Authorization/);
  });

  it('applies a scoped budget only to the agent, expert or model it names, and reports the least remaining amount', async () => {
    const q = await app.createProject('Scoped');
    await create(q, { name: 'Project', period: 'month', amountUsd: 10 });
    await create(q, { name: 'Agent 7', scope: 'agent', scopeValue: 'agent-7', period: 'day', amountUsd: 2 });
    await ingest(q, [sampleRun({ agentId: 'agent-7', costUsd: 0.5 })]);
    const other = await check(q, '?agentId=agent-1');
    expect(other.budgets.map((b) => b.name)).toEqual(['Project']);
    expect(other.remainingUsd).toBe(9.5);
    const seven = await check(q, '?agentId=agent-7&model=gpt-4o-mini');
    expect(seven.budgets.map((b) => b.name).sort()).toEqual(['Agent 7', 'Project']);
    expect(seven).toMatchObject({ allowed: true, remainingUsd: 1.5 });
  });

  it('refuses once spend reaches a hard limit, and allows again when the amount is raised', async () => {
    const q = await app.createProject('Hard limit');
    const created = (await (await create(q, { name: 'Cap', period: 'day', amountUsd: 1, hardLimit: true, thresholds: [0.5] })).json()) as Budget;
    await ingest(q, [sampleRun({ costUsd: 0.6 })]);
    expect(await check(q)).toMatchObject({ allowed: true, remainingUsd: 0.4 });
    await ingest(q, [sampleRun({ costUsd: 0.4 })]);
    const refused = await check(q);
    expect(refused).toMatchObject({ allowed: false, remainingUsd: 0 });
    expect(refused.budgets[0]).toMatchObject({ exceeded: true, spentUsd: 1 });
    // The hard limit counts as a crossing at 100% even when the thresholds stop at 50%.
    expect(await crossings(q.id)).toEqual([0.5, 1]);

    const patched = await app.request(`/api/iris/budgets/${created.id}`, { method: 'PATCH', key: q.key, json: { amountUsd: 2 } });
    expect(patched.status).toBe(200);
    expect(await check(q)).toMatchObject({ allowed: true, remainingUsd: 1 });
    const metrics = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(metrics).toMatch(/budget_checks_total\{result="refused"\} [1-9]/);
    expect(metrics).toMatch(/budget_utilization_ratio\{budget="Hard limit\/Cap"\} 0\.5/);
  });

  it('refuses unknown query parameters and another project in the query with a 4xx', async () => {
    expect((await app.request('/api/iris/budgets/check?user=bob', { key: p.key })).status).toBe(422);
    expect((await app.request('/api/iris/budgets/check?projectId=00000000-0000-4000-8000-000000000000', { key: p.key })).status).toBe(403);
  });
});

describe('crossings', () => {
  it('records each threshold once per period however many ingests see it, each with one budget.threshold_crossed event', async () => {
    const q = await app.createProject('Crossings');
    await create(q, { name: 'Day', period: 'day', amountUsd: 1 });
    await ingest(q, [sampleRun({ costUsd: 0.55 })]);
    expect(await crossings(q.id)).toEqual([0.5]);
    await Promise.all([ingest(q, [sampleRun({ costUsd: 0.3 })]), ingest(q, [sampleRun({ costUsd: 0.01 })])]);
    await ingest(q, [sampleRun({ costUsd: 0.2 })]);
    await ingest(q, [sampleRun({ costUsd: 0.2 })]);
    expect(await crossings(q.id)).toEqual([0.5, 0.8, 1]);
    expect((await events(q.id)).sort()).toEqual([0.5, 0.8, 1]);
    const [budget] = await list(q);
    expect(budget).toMatchObject({ spentUsd: 1.26, exceeded: true, thresholdsCrossed: [0.5, 0.8, 1] });
  });
});

describe('GET|PATCH|DELETE /api/iris/budgets/{id}', () => {
  it('reads, changes and deletes one budget; after deletion it is a 404', async () => {
    const q = await app.createProject('One budget');
    const { id } = (await (await create(q, { name: 'Week', period: 'week', amountUsd: 7 })).json()) as Budget;
    expect(await (await app.request(`/api/iris/budgets/${id}`, { key: q.key })).json()).toMatchObject({ id, name: 'Week', amountUsd: 7 });
    const patched = await app.request(`/api/iris/budgets/${id}`, { method: 'PATCH', key: q.key, json: { name: 'Weekly', thresholds: [0.9] } });
    expect(await patched.json()).toMatchObject({ id, name: 'Weekly', thresholds: [0.9], scope: 'project' });
    expect((await app.request(`/api/iris/budgets/${id}`, { method: 'DELETE', key: q.key })).status).toBe(204);
    const gone = await app.request(`/api/iris/budgets/${id}`, { key: q.key });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'budget_not_found' } });
  });

  it('refuses a PATCH that changes nothing or the scope, and a malformed id', async () => {
    const { id } = (await (await create(p, { name: 'Fixed', period: 'day', amountUsd: 1 })).json()) as Budget;
    expect((await app.request(`/api/iris/budgets/${id}`, { method: 'PATCH', key: p.key, json: {} })).status).toBe(422);
    expect((await app.request(`/api/iris/budgets/${id}`, { method: 'PATCH', key: p.key, json: { scope: 'agent' } })).status).toBe(422);
    expect((await app.request('/api/iris/budgets/not-a-uuid', { key: p.key })).status).toBe(422);
  });
});

describe('the overview', () => {
  it('shows spend against the project budgets only', async () => {
    const q = await app.createProject('Overview budgets');
    await create(q, { name: 'Month', period: 'month', amountUsd: 50 });
    await create(q, { name: 'Agent', scope: 'agent', scopeValue: 'agent-1', period: 'day', amountUsd: 1 });
    await ingest(q, [sampleRun({ costUsd: 2.5 })]);
    const overview = (await (await app.request('/api/iris/overview', { key: q.key })).json()) as { budgets: Budget[] };
    expect(overview.budgets).toEqual([expect.objectContaining({ name: 'Month', spentUsd: 2.5, remainingUsd: 47.5, utilization: 0.05 })]);
  });
});
