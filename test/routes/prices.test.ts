import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, rowCounts, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * Prices and cost at ingest through the real api/ modules on PGlite: the
 * default table, project overrides through the admin API, costs computed
 * when the client sends none (hand-worked values), unknown models listed.
 */
let app: TestApp;
let p: TestProject;

const runs = async (project: TestProject) =>
  ((await (await app.request('/api/iris/runs?limit=100', { key: project.key })).json()) as { data: Record<string, unknown>[] }).data;
const post = (project: TestProject, json: unknown, headers: Record<string, string> = {}) =>
  app.request('/api/iris/runs', { method: 'POST', key: project.key, json, headers });
const putPrices = (projectId: string, json: unknown, headers: Record<string, string> = {}) =>
  app.request(`/api/admin/projects/${projectId}/prices`, { method: 'PUT', key: ADMIN_TOKEN, json, headers });

/** A run without a cost, so Iris computes it. */
function uncosted(overrides: Record<string, unknown> = {}) {
  const run = sampleRun(overrides);
  delete run.costUsd;
  return run;
}

beforeAll(async () => {
  app = await createTestApp();
  p = await app.createProject('Prices');
});
afterAll(() => app.close());

describe('GET /api/iris/prices', () => {
  it('lists the default prices, each with its source and the date it was read', async () => {
    const res = await app.request('/api/iris/prices', { key: p.key });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^private/);
    const body = (await res.json()) as { prices: { model: string; origin: string; inputPerMtok: number; source: string; readAt: string }[] };
    expect(body.prices.find((x) => x.model === 'gpt-4o-mini')).toMatchObject({ origin: 'default', inputPerMtok: 0.15, readAt: '2026-12-01' });
    expect(body.prices.every((x) => x.source.startsWith('https://'))).toBe(true);
  });
});

describe('cost at ingest', () => {
  it('computes the cost of a run sent without one from the default price, cache reads at their rate', async () => {
    const q = await app.createProject('Computed');
    // gpt-4o: 4,000 uncached input × $2.50 + 6,000 cache reads × $1.25 + 500 output × $10 per million = $0.0225
    const res = await post(q, [uncosted({ model: 'gpt-4o-2024-08-06', inputTokens: 10_000, cacheReadTokens: 6000, outputTokens: 500 })]);
    expect(res.status).toBe(201);
    const [stored] = await runs(q);
    expect(stored).toMatchObject({ model: 'gpt-4o-2024-08-06', costUsd: 0.0225, costSource: 'computed', cacheReadTokens: 6000 });
  });

  it('prices reasoning as output and the whole run at the long-prompt tier above its threshold', async () => {
    const q = await app.createProject('Tiers');
    await post(q, [
      // gemini-2.5-pro above 200,000 input tokens: 250,000 × $2.50 + 1,000 output × $15 = $0.64
      uncosted({ model: 'gemini-2.5-pro', inputTokens: 250_000, outputTokens: 1000, createdAt: new Date().toISOString() }),
      // claude-haiku-5-5 up to 100,000: 1,000 × $0.10 + 3,000 output × $0.50 (2,000 of them reasoning) = $0.0016
      uncosted({ model: 'claude-haiku-5-5', inputTokens: 1000, outputTokens: 3000, reasoningTokens: 2000 }),
    ]);
    const stored = await runs(q);
    expect(stored.find((r) => r.model === 'gemini-2.5-pro')).toMatchObject({ costUsd: 0.64, costSource: 'computed' });
    expect(stored.find((r) => r.model === 'claude-haiku-5-5')).toMatchObject({ costUsd: 0.0016, costSource: 'computed', reasoningTokens: 2000 });
  });

  it('keeps a cost the client sent, even zero', async () => {
    const q = await app.createProject('Client cost');
    await post(q, [sampleRun({ model: 'gpt-4o', costUsd: 0 }), sampleRun({ model: 'gpt-4o', costUsd: 1.23 })]);
    expect((await runs(q)).map((r) => [r.costUsd, r.costSource]).sort()).toEqual([[0, 'client'], [1.23, 'client']]);
  });

  it('stores a run of a model it has no price for at $0 as unknown_model and lists the model', async () => {
    const q = await app.createProject('Unknown');
    await post(q, [uncosted({ model: 'acme-llm-9' }), uncosted({ model: 'acme-llm-9' }), uncosted({ model: 'gpt-4o-mini' })]);
    expect((await runs(q)).filter((r) => r.costSource === 'unknown_model').map((r) => r.costUsd)).toEqual([0, 0]);
    const listed = (await (await app.request('/api/iris/prices/unknown-models', { key: q.key })).json()) as { data: { model: string; runs: number }[] };
    expect(listed.data).toEqual([expect.objectContaining({ model: 'acme-llm-9', runs: 2 })]);
    const metrics = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(metrics).toMatch(/runs_cost_source_total\{source="unknown_model"\} \d+/);
    expect(metrics).toMatch(/llm_tokens_total\{model="acme-llm-9",type="input"\} \d+/);
  });

  it.each([
    [{ inputTokens: 100, cacheReadTokens: 60, cacheWriteTokens: 41 }, 'cacheReadTokens'],
    [{ outputTokens: 10, reasoningTokens: 11 }, 'reasoningTokens'],
    [{ cacheReadTokens: -1 }, 'cacheReadTokens'],
    [{ reasoningTokens: 1.5 }, 'reasoningTokens'],
  ])('refuses a run whose token parts break the convention (%j) with a 422 naming the field, storing nothing', async (bad, field) => {
    const before = await rowCounts(app.db);
    const res = await post(p, [sampleRun(), sampleRun(bad)]);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path)).toContain(`1.${field}`);
    expect(await rowCounts(app.db)).toEqual(before);
  });
});

describe('PUT /api/admin/projects/{id}/prices', () => {
  it('makes a project price win over the default for every id of that model, from the next batch on', async () => {
    const q = await app.createProject('Negotiated');
    await post(q, [uncosted({ model: 'gpt-4o', inputTokens: 1000, outputTokens: 0 })]);
    const res = await putPrices(q.id, { prices: [{ model: 'gpt-4o', inputPerMtok: 1, outputPerMtok: 4 }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { prices: { origin: string }[] }).prices).toEqual([expect.objectContaining({ origin: 'project', model: 'gpt-4o', inputPerMtok: 1 })]);
    await post(q, [uncosted({ model: 'gpt-4o-2024-11-20', inputTokens: 1000, outputTokens: 0 })]);
    const stored = await runs(q);
    // 1,000 × $2.50 per million before the override; 1,000 × $1 after. The first run keeps its cost.
    expect(stored.map((r) => [r.model, r.costUsd]).sort()).toEqual([['gpt-4o', 0.0025], ['gpt-4o-2024-11-20', 0.001]]);
    const listed = (await (await app.request('/api/iris/prices', { key: q.key })).json()) as { prices: { origin: string }[] };
    expect(listed.prices[0]).toMatchObject({ origin: 'project', model: 'gpt-4o' });
  });

  it('prices a backfilled run with the price of its own time', async () => {
    const q = await app.createProject('Dated');
    await putPrices(q.id, { prices: [{ model: 'house-7b', inputPerMtok: 1, outputPerMtok: 1, effectiveFrom: '2026-06-01T00:00:00Z' }, { model: 'house-7b', inputPerMtok: 0.5, outputPerMtok: 0.5, effectiveFrom: '2026-01-01T00:00:00Z' }] });
    const recent = new Date(Date.now() - 60_000).toISOString();
    const old = new Date(Math.max(Date.parse('2026-02-01T00:00:00Z'), Date.now() - 300 * 86_400_000)).toISOString();
    await post(q, [uncosted({ model: 'house-7b', inputTokens: 2000, outputTokens: 0, createdAt: recent }), uncosted({ model: 'house-7b', inputTokens: 2000, outputTokens: 0, createdAt: old })]);
    const byTime = (await runs(q)).map((r) => [r.createdAt === undefined ? null : Date.parse(String(r.createdAt)) >= Date.parse('2026-06-01T00:00:00Z'), r.costUsd]);
    expect(byTime.sort()).toEqual([[false, 0.001], [true, 0.002]]);
  });

  it.each([
    [{ prices: [{ model: 'm', inputPerMtok: -1, outputPerMtok: 1 }] }, 422],
    [{ prices: [{ model: 'm', inputPerMtok: 1 }] }, 422],
    [{ prices: [{ model: 'm', inputPerMtok: 1, outputPerMtok: 1, pattern: 'a b' }] }, 422],
    [{ prices: [{ model: 'm', inputPerMtok: 1, outputPerMtok: 1, tiers: [{ aboveInputTokens: 10, rates: { bogusPerMtok: 1 } }] }] }, 422],
    [{ prices: [{ model: 'm', inputPerMtok: 1, outputPerMtok: 1 }, { model: 'm', inputPerMtok: 2, outputPerMtok: 2 }] }, 422],
    [{ prices: 'all of them' }, 422],
  ])('refuses %j with %i and changes nothing', async (body, status) => {
    const q = await app.createProject('Bad prices');
    expect((await putPrices(q.id, body)).status).toBe(status);
    const listed = (await (await app.request('/api/iris/prices', { key: q.key })).json()) as { prices: { origin: string }[] };
    expect(listed.prices.some((x) => x.origin === 'project')).toBe(false);
  });

  it('answers 404 for a project that does not exist, 401 without the admin token, and replays a keyed retry', async () => {
    expect((await putPrices(crypto.randomUUID(), { prices: [] })).status).toBe(404);
    const anonymous = await app.request(`/api/admin/projects/${p.id}/prices`, { method: 'PUT', json: { prices: [] } });
    expect(anonymous.status).toBe(401);
    const q = await app.createProject('Keyed prices');
    const body = { prices: [{ model: 'gpt-4o', inputPerMtok: 1, outputPerMtok: 1 }] };
    const first = await putPrices(q.id, body, { 'idempotency-key': 'prices-retry-1' });
    const again = await putPrices(q.id, body, { 'idempotency-key': 'prices-retry-1' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});
