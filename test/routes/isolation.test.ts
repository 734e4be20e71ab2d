import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';
import { chatSpan, otlpJson, otlpProtobuf, randomSpanId, randomTraceId } from '../support/otlp.js';

/**
 * Tenant isolation on every project route: project B's ids, names and counts
 * never reach a response for key A, and writes with key A never change B.
 */
let app: TestApp;
let a: TestProject;
let b: TestProject;

const B_MARKERS = ['b-secret-expert', 'b-secret-model', 'b-secret-agent', 'B secret report', 'B secret context', 'b-secret-hook', 'b-secret-prompt', 'B secret template', 'b-secret-variant'];
/** Each project's webhook endpoint (created in seed). */
const hooks: Record<'a' | 'b', string> = { a: '', b: '' };
const budgets: Record<'a' | 'b', string> = { a: '', b: '' };

async function seed(p: TestProject, tag: 'a' | 'b') {
  const expert = tag === 'b' ? 'b-secret-expert' : 'a-expert';
  const runs = Array.from({ length: tag === 'b' ? 25 : 4 }, (_, i) =>
    sampleRun({
      expertId: expert,
      model: tag === 'b' ? 'b-secret-model' : 'a-model',
      agentId: tag === 'b' ? 'b-secret-agent' : 'a-agent',
      latencyMs: tag === 'b' ? 5000 + i : 10 + i,
    }),
  );
  const send = (path: string, json: unknown) => app.request(path, { method: 'POST', key: p.key, json });
  expect((await send('/api/iris/runs', { runs })).status).toBe(201);
  // A project price and a run of a model without one: both are the project's own.
  const own = tag === 'b' ? 'b-secret-model' : 'a-model';
  const prices = { prices: [{ model: own, inputPerMtok: 1, outputPerMtok: 1 }] };
  expect((await app.request(`/api/admin/projects/${p.id}/prices`, { method: 'PUT', key: ADMIN_TOKEN, json: prices })).status).toBe(200);
  // Ten days back: outside the 24-hour figures the other tests check.
  const unpriced = sampleRun({ model: tag === 'b' ? 'b-secret-agent' : 'a-unknown-model', expertId: expert, createdAt: new Date(Date.now() - 10 * 86_400_000).toISOString() });
  delete unpriced.costUsd;
  expect((await send('/api/iris/runs', [unpriced])).status).toBe(201);
  expect((await send('/api/iris/experts', { expertId: expert, version: 1, signature: `${tag} signature` })).status).toBe(201);
  expect((await send('/api/iris/experts/' + expert + '/usage', {})).status).toBe(200);
  expect(
    (
      await send('/api/iris/reports', {
        kind: 'health',
        healthScore: tag === 'b' ? 12 : 90,
        overallHealth: tag === 'b' ? 'critical' : 'healthy',
        severity: tag === 'b' ? 'critical' : 'info',
        title: tag === 'b' ? 'B secret report' : 'A report',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await send('/api/iris/reflexions', {
        expertId: expert,
        kind: 'lesson',
        context: tag === 'b' ? 'B secret context' : 'A context',
        outcome: 'ok',
        success: true,
        impactScore: 0.5,
      })
    ).status,
  ).toBe(201);
  const hook = await send('/api/iris/webhooks', { url: `https://93.184.215.14/${tag}-secret-hook`, eventTypes: ['budget.threshold_crossed'] });
  expect(hook.status).toBe(201);
  hooks[tag] = ((await hook.json()) as { id: string }).id;
  // B's budget names its secret agent and is small enough that B's runs spend all of it.
  const budget = await send('/api/iris/budgets', tag === 'b'
    ? { name: 'B secret budget', scope: 'agent', scopeValue: 'b-secret-agent', period: 'month', amountUsd: 0.01, hardLimit: true }
    : { name: 'A budget', period: 'month', amountUsd: 1000 });
  expect(budget.status).toBe(201);
  budgets[tag] = ((await budget.json()) as { id: string }).id;
  // A prompt of its own, and one named alike in both projects with different content.
  const secret = tag === 'b' ? 'b-secret-prompt' : 'a-prompt';
  expect((await send('/api/iris/prompts', { name: secret, template: `${tag === 'b' ? 'B secret template' : 'A template'} {{x}}`, labels: ['production', 'staging'] })).status).toBe(201);
  expect((await send('/api/iris/prompts', { name: 'shared', template: `${tag === 'b' ? 'B secret template' : 'A template'} {{x}}`, labels: ['production', 'staging'] })).status).toBe(201);
  // An experiment of the same key in both projects, over each project's own prompt.
  const variants = [
    { name: 'control', weight: 1, prompt: { name: 'shared', version: 1 } },
    { name: tag === 'b' ? 'b-secret-variant' : 'a-variant', weight: 1, payload: { note: tag === 'b' ? 'B secret template' : 'A' } },
  ];
  expect((await send('/api/iris/experiments', { key: 'shared-exp', name: tag === 'b' ? 'B secret template' : 'A experiment', variants, status: 'running' })).status).toBe(201);
}

/** Everything B has, per table, straight from the database. */
async function footprint(projectId: string) {
  const [row] = await app.db.query<Record<string, number | string>>(
    `select
       (select count(*) from model_runs where project_id = $1)::int as runs,
       (select coalesce(sum(usage_count), 0) from expert_signatures where project_id = $1)::int as usage,
       (select count(*) from expert_signatures where project_id = $1)::int as experts,
       (select count(*) from iris_reports where project_id = $1)::int as reports,
       (select count(*) from reflexions where project_id = $1)::int as reflexions,
       (select count(*) from api_keys where project_id = $1 and revoked_at is null)::int as keys,
       (select count(*) from webhook_endpoints where project_id = $1 and disabled_at is null)::int as hooks,
       (select coalesce(md5(string_agg(secret_ciphertext, ',' order by id)), '') from webhook_endpoints where project_id = $1) as hook_secrets,
       (select coalesce(md5(string_agg(url || ' ' || array_to_string(event_types, ',') || ' ' || coalesce(description, ''), ',' order by id)), '') from webhook_endpoints where project_id = $1) as hook_configs,
       (select count(*) from webhook_events where project_id = $1)::int as events,
       (select count(*) from budgets where project_id = $1)::int as budgets,
       (select coalesce(sum(amount_usd), 0) from budgets where project_id = $1)::float8 as budget_amounts,
       (select count(*) from prompt_versions v join prompts p on p.id = v.prompt_id where p.project_id = $1)::int as prompt_versions,
       (select count(*) from prompt_label_moves m join prompts p on p.id = m.prompt_id where p.project_id = $1)::int as label_moves,
       (select count(*) from prompt_labels l join prompts p on p.id = l.prompt_id where p.project_id = $1)::int as labels,
       (select count(*) from prompt_versions v join prompts p on p.id = v.prompt_id where p.project_id = $1 and v.status <> 'draft')::int as statuses,
       (select count(*) + count(nullif(updated_at, created_at)) from experiments where project_id = $1)::int as experiments`,
    [projectId],
  );
  return row;
}

beforeAll(async () => {
  app = await createTestApp();
  a = await app.createProject('Project Alpha');
  b = await app.createProject('Project Bravo');
  await seed(a, 'a');
  await seed(b, 'b');
});
afterAll(() => app.close());

const READS = [
  '/api/iris/overview',
  '/api/iris/stats/tokens',
  '/api/iris/stats/performance',
  '/api/iris/stats/timeseries?groupBy=model&metric=costUsd',
  '/api/iris/stats/timeseries?groupBy=agent&metric=p95LatencyMs&interval=day',
  '/api/iris/stats/breakdown?by=model',
  '/api/iris/stats/breakdown?by=agent&sort=p99LatencyMs',
  '/api/iris/stats/breakdown?by=expert',
  '/api/iris/stats/breakdown?by=promptVersion',
  '/api/iris/prices',
  '/api/iris/prices/unknown-models',
  '/api/iris/experts',
  '/api/iris/experts?active=true',
  '/api/iris/reports',
  '/api/iris/reflexions',
  '/api/iris/reflexions?expertId=b-secret-expert',
  '/api/iris/runs',
  '/api/iris/runs?limit=100',
  '/api/iris/webhooks',
  '/api/iris/budgets',
  '/api/iris/budgets/check',
  '/api/iris/budgets/check?agentId=b-secret-agent',
  '/api/iris/prompts',
  '/api/iris/prompts/shared',
  '/api/iris/prompts/shared?label=latest',
  '/api/iris/prompts/shared/versions',
  '/api/iris/prompts/shared/versions/1',
  '/api/iris/prompts/shared/labels/production',
  '/api/iris/experiments',
  '/api/iris/experiments/shared-exp',
  '/api/iris/experiments/shared-exp/assignment?subject=someone',
  '/api/iris/experiments/shared-exp/results',
];

describe('tenant isolation', () => {
  it('never shows project B in any read made with key A', async () => {
    for (const path of READS) {
      const res = await app.request(path, { key: a.key });
      expect(res.status, path).toBe(200);
      const text = await res.text();
      expect(text, path).not.toContain(b.id);
      expect(text, path).not.toContain('Bravo');
      for (const marker of B_MARKERS) expect(text, `${path} leaks ${marker}`).not.toContain(marker);
    }
  });

  it('counts only the key’s own project', async () => {
    const overview = (await (await app.request('/api/iris/overview', { key: a.key })).json()) as Record<string, unknown>;
    expect(overview).toMatchObject({ projectId: a.id, runs24h: 4, openCriticalReports: 0, latestHealthScore: 90, reflexions: 1 });
    const tokens = (await (await app.request('/api/iris/stats/tokens', { key: a.key })).json()) as { totals: { runs: number } };
    expect(tokens.totals.runs).toBe(4);
    const perf = (await (await app.request('/api/iris/stats/performance', { key: a.key })).json()) as {
      totals: { p99LatencyMs: number };
    };
    expect(perf.totals.p99LatencyMs).toBeLessThan(100);
  });

  it('refuses B’s projectId in A’s queries and bodies', async () => {
    for (const path of READS) {
      const sep = path.includes('?') ? '&' : '?';
      const res = await app.request(`${path}${sep}projectId=${b.id}`, { key: a.key });
      expect(res.status, path).toBe(403);
    }
    const writes: [string, unknown][] = [
      ['/api/iris/runs', { projectId: b.id, runs: [sampleRun()] }],
      ['/api/iris/experts', { projectId: b.id, expertId: 'x', version: 1, signature: 's' }],
      ['/api/iris/experts/b-secret-expert/usage', { projectId: b.id }],
      ['/api/iris/reports', { projectId: b.id, kind: 'k', healthScore: 1, overallHealth: 'healthy', severity: 'info', title: 't' }],
      ['/api/iris/reflexions', { projectId: b.id, expertId: 'x', kind: 'k', context: 'c', outcome: 'o', success: true, impactScore: 0 }],
      ['/api/iris/webhooks', { projectId: b.id, url: 'https://93.184.215.14/x', eventTypes: ['budget.threshold_crossed'] }],
      ['/api/iris/budgets', { projectId: b.id, name: 'x', period: 'day', amountUsd: 1 }],
    ];
    for (const [path, json] of writes) {
      const res = await app.request(path, { method: 'POST', key: a.key, json });
      expect(res.status, path).toBe(403);
    }
  });

  it('never replays for B an answer stored under the Idempotency-Key A used', async () => {
    const idempotencyKey = crypto.randomUUID();
    const report = { kind: 'health', healthScore: 50, overallHealth: 'degraded', severity: 'warning', title: 'same key, two tenants' };
    const send = (p: TestProject) => app.request('/api/iris/reports', { method: 'POST', key: p.key, json: report, headers: { 'idempotency-key': idempotencyKey } });
    const fromA = await send(a);
    const fromB = await send(b);
    expect([fromA.status, fromB.status]).toEqual([201, 201]);
    expect(fromB.headers.get('idempotent-replayed')).toBeNull();
    const [bodyA, bodyB] = [(await fromA.json()) as { id: string }, (await fromB.json()) as { id: string }];
    expect(bodyB.id).not.toBe(bodyA.id);
    // Each answer names its own report only, and a retry in B replays B's.
    const retryB = await send(b);
    expect(retryB.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retryB.json()) as { id: string }).id).toBe(bodyB.id);
  });

  it('never lets a project key run the retention sweep', async () => {
    const withCron = await createTestApp({ db: app.db, env: { CRON_SECRET: 'cron-secret-for-isolation-tests' } });
    try {
      const before = await footprint(b.id);
      for (const p of [a, b]) expect((await withCron.request('/api/cron/retention', { key: p.key })).status).toBe(401);
      expect(await footprint(b.id)).toEqual(before);
    } finally {
      await withCron.services.background.drain();
    }
  });

  it('never lets A read, test, rotate, change or delete B’s webhook endpoint, or page B’s delivery log', async () => {
    const before = await footprint(b.id);
    const own = `/api/iris/webhooks/${hooks.a}`;
    const change = { url: 'https://93.184.215.14/a-moved-hook', eventTypes: ['budget.threshold_crossed'], description: 'moved by A' };
    const requests = [['GET', ''], ['GET', '/deliveries'], ['POST', '/test'], ['POST', '/rotate-secret'], ['PATCH', '', change], ['DELETE', '']] as const;
    for (const [method, suffix, json] of requests) {
      const res = await app.request(`/api/iris/webhooks/${hooks.b}${suffix}`, { method, key: a.key, ...(json ? { json } : {}) });
      expect(res.status, `${method} ${suffix}`).toBe(404);
      expect(await res.text()).not.toContain('b-secret-hook');
    }
    expect(await footprint(b.id)).toEqual(before);
    expect((await app.request(`${own}/deliveries?projectId=${b.id}`, { key: a.key })).status).toBe(403);
    expect((await app.request(own, { key: a.key })).status).toBe(200);
  });

  it('never lets A read, change or delete B’s budget, and never applies B’s budget to A’s check', async () => {
    const before = await footprint(b.id);
    const requests = [
      ['GET', undefined],
      ['PATCH', { amountUsd: 5 }],
      ['DELETE', undefined],
    ] as const;
    for (const [method, json] of requests) {
      const res = await app.request(`/api/iris/budgets/${budgets.b}`, { method, key: a.key, ...(json ? { json } : {}) });
      expect(res.status, method).toBe(404);
      expect(await res.text()).not.toContain('B secret budget');
    }
    expect(await footprint(b.id)).toEqual(before);
    // B's hard limit is spent for its agent; A asking about an agent of the same name is allowed by A's budget only.
    const inB = (await (await app.request('/api/iris/budgets/check?agentId=b-secret-agent', { key: b.key })).json()) as { allowed: boolean };
    expect(inB.allowed).toBe(false);
    const inA = (await (await app.request('/api/iris/budgets/check?agentId=b-secret-agent', { key: a.key })).json()) as { allowed: boolean; budgets: { id: string }[] };
    expect(inA).toMatchObject({ allowed: true, budgets: [{ id: budgets.a }] });
    expect((await app.request(`/api/iris/budgets/${budgets.a}?projectId=${b.id}`, { key: a.key })).status).toBe(403);
  });

  it('never lets a project key read the detailed health check, which holds nothing of any project anyway', async () => {
    for (const p of [a, b]) expect((await app.request('/api/health/detailed', { key: p.key })).status).toBe(401);
    const text = await (await app.request('/api/health/detailed', { key: ADMIN_TOKEN })).text();
    for (const p of [a, b]) expect(text).not.toContain(p.id);
    for (const marker of B_MARKERS) expect(text).not.toContain(marker);
  });

  it('never changes B when A writes, even when A names B’s expert', async () => {
    const before = await footprint(b.id);
    const usage = await app.request('/api/iris/experts/b-secret-expert/usage', { method: 'POST', key: a.key });
    expect(usage.status).toBe(404);
    await app.request('/api/iris/runs', { method: 'POST', key: a.key, json: sampleRun({ expertId: 'b-secret-expert' }) });
    await app.request('/api/iris/experts', {
      method: 'POST',
      key: a.key,
      json: { expertId: 'b-secret-expert', version: 1, signature: 'hijack', active: true },
    });
    expect(await footprint(b.id)).toEqual(before);
    // A's own write landed in A.
    const own = (await (await app.request('/api/iris/experts', { key: a.key })).json()) as { data: { expertId: string }[] };
    expect(own.data.map((e) => e.expertId)).toContain('b-secret-expert');
    const bExperts = (await (await app.request('/api/iris/experts', { key: b.key })).json()) as { data: { signature: string }[] };
    expect(bExperts.data.map((e) => e.signature)).toEqual(['b signature']);
  });

  it('stores an OTLP export only in the key’s project, even when A sends the very span B sent, naming B in its resource', async () => {
    const span = chatSpan({ traceId: randomTraceId(), spanId: randomSpanId(), model: 'otlp-shared-model' });
    const post = (p: TestProject, resource: Record<string, string>) =>
      app.request('/api/otel/v1/traces', { method: 'POST', key: p.key, headers: { 'content-type': 'application/x-protobuf' }, body: otlpProtobuf(otlpJson([span], resource)) as BodyInit });
    expect((await post(b, { 'service.name': 'b-service' })).status).toBe(200);
    const before = await footprint(b.id);
    expect((await post(a, { 'service.name': 'a-service', 'iris.project_id': b.id })).status).toBe(200);
    expect(await footprint(b.id)).toEqual(before);
    const listed = async (p: TestProject) =>
      ((await (await app.request('/api/iris/runs?limit=100', { key: p.key, headers: { 'cache-control': 'no-cache' } })).json()) as { data: { id: string; model: string; expertId: string }[] }).data.filter((r) => r.model === 'otlp-shared-model');
    const [inA, inB] = [await listed(a), await listed(b)];
    expect(inA.map((r) => r.expertId)).toEqual(['a-service']);
    expect(inB.map((r) => r.expertId)).toEqual(['b-service']);
    expect(inA[0]!.id).not.toBe(inB[0]!.id);
  });
});

describe('tenant isolation of prompts', () => {
  it('never lets A read, render, version, relabel, unlabel or deprecate B’s prompt, however A names it', async () => {
    const before = await footprint(b.id);
    const attempts: [string, string, unknown][] = [
      ['GET', '/api/iris/prompts/b-secret-prompt', undefined],
      ['GET', '/api/iris/prompts/b-secret-prompt/versions', undefined],
      ['GET', '/api/iris/prompts/b-secret-prompt/versions/1', undefined],
      ['GET', '/api/iris/prompts/b-secret-prompt/labels/production', undefined],
      ['POST', '/api/iris/prompts/b-secret-prompt/render', { variables: { x: 1 } }],
      ['POST', '/api/iris/prompts/b-secret-prompt/versions', { template: 'hijack' }],
      ['PUT', '/api/iris/prompts/b-secret-prompt/labels/production', { version: 1 }],
      ['DELETE', '/api/iris/prompts/b-secret-prompt/labels/staging', undefined],
      ['DELETE', '/api/iris/prompts/b-secret-prompt/labels/staging', { reason: 'hijack' }],
      ['PATCH', '/api/iris/prompts/b-secret-prompt/versions/1', { status: 'deprecated' }],
    ];
    for (const [method, path, json] of attempts) {
      const res = await app.request(path, { method, key: a.key, ...(json === undefined ? {} : { json }) });
      expect(res.status, `${method} ${path}`).toBe(404);
      const text = await res.text();
      for (const marker of ['B secret template', b.id]) expect(text, `${method} ${path}`).not.toContain(marker);
    }
    expect(await footprint(b.id)).toEqual(before);
  });

  it('gives each project its own prompt of a shared name, and A’s writes to it never reach B', async () => {
    const before = await footprint(b.id);
    expect((await app.request('/api/iris/prompts/shared/versions', { method: 'POST', key: a.key, json: { template: 'A v2 {{x}}' } })).status).toBe(201);
    expect((await app.request('/api/iris/prompts/shared/labels/production', { method: 'PUT', key: a.key, json: { version: 2 } })).status).toBe(200);
    const fromB = (await (await app.request('/api/iris/prompts/shared', { key: b.key })).json()) as { version: number; template: string };
    expect(fromB).toMatchObject({ version: 1, template: 'B secret template {{x}}' });
    // A removes its own staging label; B's stays where it was.
    expect((await app.request('/api/iris/prompts/shared/labels/staging', { method: 'DELETE', key: a.key })).status).toBe(200);
    expect((await app.request('/api/iris/prompts/shared?label=staging', { key: a.key })).status).toBe(404);
    expect(await (await app.request('/api/iris/prompts/shared?label=staging', { key: b.key })).json()).toMatchObject({ version: 1, template: 'B secret template {{x}}' });
    expect(await footprint(b.id)).toEqual(before);
    const claims: [string, string, unknown][] = [
      ['PUT', '/api/iris/prompts/shared/labels/production', { projectId: b.id, version: 1 }],
      ['DELETE', '/api/iris/prompts/shared/labels/production', { projectId: b.id }],
      ['POST', '/api/iris/prompts', { projectId: b.id, name: 'x', template: 'y' }],
      ['POST', '/api/iris/prompts/shared/versions', { projectId: b.id, template: 'y' }],
      ['POST', '/api/iris/prompts/shared/render', { projectId: b.id, variables: { x: 1 } }],
    ];
    for (const [method, path, json] of claims) expect((await app.request(path, { method, key: a.key, json })).status, path).toBe(403);
    expect(await footprint(b.id)).toEqual(before);
  });
});

describe('tenant isolation of experiments', () => {
  it('never lets A change B’s experiment of the same key, and assigns and reports A’s own only', async () => {
    const before = await footprint(b.id);
    expect((await app.request('/api/iris/experiments/shared-exp', { method: 'PATCH', key: a.key, json: { status: 'stopped' } })).status).toBe(200);
    const fromB = (await (await app.request('/api/iris/experiments/shared-exp', { key: b.key })).json()) as { status: string };
    expect(fromB.status).toBe('running');
    expect(await footprint(b.id)).toEqual(before);
    const claims: [string, string, unknown][] = [
      ['PATCH', '/api/iris/experiments/shared-exp', { projectId: b.id, status: 'completed' }],
      ['POST', '/api/iris/experiments', { projectId: b.id, key: 'x', name: 'x', variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }] }],
    ];
    for (const [method, path, json] of claims) expect((await app.request(path, { method, key: a.key, json })).status, path).toBe(403);
    for (const path of ['/api/iris/experiments/shared-exp/assignment?subject=x', '/api/iris/experiments/shared-exp/results']) {
      expect((await app.request(`${path}&projectId=${b.id}`.replace('results&', 'results?'), { key: a.key })).status, path).toBe(403);
    }
    // A variant of A names A's prompt, never B's prompt of the same name.
    const assignment = await (await app.request('/api/iris/experiments/shared-exp/assignment?subject=x', { key: a.key })).text();
    expect(assignment).not.toContain('B secret template');
    expect(await footprint(b.id)).toEqual(before);
  });
});
