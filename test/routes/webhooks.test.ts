import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryRequest, DeliveryResult, Resolver, WebhookTransport } from '../../lib/webhooks/index.js';
import { ADMIN_TOKEN, createTestApp, ENCRYPTION_KEY, type TestApp, type TestProject } from '../support/app.js';

/**
 * The webhook routes (docs/costs.md#webhooks) on a whole instance: endpoints
 * and their secret, the SSRF guard, the test send drained in the background,
 * the delivery log, the cron route, and a retry sent by a later request. The
 * receiver is a scripted transport (the real one is in the integration suite).
 */
const CRON_SECRET = 'cron-secret-for-webhook-tests';
const METRICS_TOKEN = 'metrics-token-for-webhook-tests';
const HOOK_URL = 'https://hooks.example.com/iris';

const resolve: Resolver = async (host) => {
  const table: Record<string, string[]> = { 'hooks.example.com': ['93.184.215.14'], 'intranet.example.com': ['10.1.2.3'] };
  const found = table[host];
  if (!found) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

/** A receiver whose answers a test sets; it keeps every request it got. */
const receiver = {
  sent: [] as DeliveryRequest[],
  answer: (() => ({ kind: 'response', status: 200, body: 'thanks', retryAfter: null })) as (request: DeliveryRequest) => DeliveryResult,
};
const transport: WebhookTransport = {
  send: async (request) => {
    receiver.sent.push(request);
    return receiver.answer(request);
  },
};

// A minute ahead of the database's clock (claims never go by a clock behind it), well within the
// 5 minutes a standardwebhooks verifier allows; tests move it forward.
let clock = Date.now() + 60_000;
let app: TestApp;
let project: TestProject;
let other: TestProject;

beforeAll(async () => {
  app = await createTestApp({ env: { CRON_SECRET, IRIS_METRICS_TOKEN: METRICS_TOKEN }, now: () => clock, webhooks: { resolve, transport, random: () => 0.5 } });
  project = await app.createProject('Hooked', { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } });
  other = await app.createProject('Other');
});
afterAll(() => app.close());

type Endpoint = { id: string; url: string; eventTypes: string[]; description: string | null; createdAt: string; disabledAt: string | null; disabledReason: string | null; secret?: string };
type Delivery = { id: string; eventId: string; eventType: string; status: string; attempts: number; lastStatus: number | null; lastError: string | null; lastResponse: string | null; nextAttemptAt: string | null };

const create = (body: unknown, headers: Record<string, string> = {}, p: TestProject = project) =>
  app.request('/api/iris/webhooks', { method: 'POST', key: p.key, json: body, headers });

async function newEndpoint(body: Record<string, unknown> = {}): Promise<Endpoint> {
  const res = await create({ url: HOOK_URL, eventTypes: ['budget.threshold_crossed'], ...body });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Endpoint;
}

const deliveries = async (id: string, query = '') => (await (await app.request(`/api/iris/webhooks/${id}/deliveries${query}`, { key: project.key })).json()) as { data: Delivery[]; nextCursor: string | null };

const sendTest = (id: string, p: TestProject = project) => app.request(`/api/iris/webhooks/${id}/test`, { method: 'POST', key: p.key });

const endpointsOf = async (projectId: string) => Number((await app.db.query<{ n: number }>('select count(*)::int as n from webhook_endpoints where project_id = $1', [projectId]))[0]!.n);

describe('POST /api/iris/webhooks', () => {
  it('registers an endpoint and shows its whsec_ secret in this answer only', async () => {
    const created = await newEndpoint({ description: 'budget alerts' });
    expect(created).toMatchObject({ url: HOOK_URL, eventTypes: ['budget.threshold_crossed'], description: 'budget alerts', disabledAt: null, disabledReason: null });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const one = await app.request(`/api/iris/webhooks/${created.id}`, { key: project.key });
    const list = await app.request('/api/iris/webhooks', { key: project.key });
    for (const res of [one, list]) {
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain(created.id);
      expect(text).not.toContain(created.secret!);
      expect(text).not.toMatch(/secret/i);
    }
    // Stored encrypted, bound to the endpoint: the database never holds the plaintext.
    const [row] = await app.db.query<{ secret_ciphertext: string }>('select secret_ciphertext from webhook_endpoints where id = $1', [created.id]);
    expect(row!.secret_ciphertext).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(row!.secret_ciphertext).not.toContain(created.secret!.slice(6, 20));
  });

  it('replays the same endpoint and secret for a retry with the same Idempotency-Key', async () => {
    const key = crypto.randomUUID();
    const before = await endpointsOf(project.id);
    const body = { url: HOOK_URL, eventTypes: ['budget.threshold_crossed'], description: 'retried' };
    const first = await create(body, { 'idempotency-key': key });
    const second = await create(body, { 'idempotency-key': key });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const [a, b] = [(await first.json()) as Endpoint, (await second.json()) as Endpoint];
    expect(b).toEqual(a);
    expect(await endpointsOf(project.id)).toBe(before + 1);
  });

  it('refuses URLs outside the SSRF rules with a 422 naming the reason, storing nothing', async () => {
    const before = await endpointsOf(project.id);
    for (const [url, reason] of [
      ['http://hooks.example.com/iris', 'scheme'],
      ['https://127.0.0.1:4000/hooks', 'address'],
      ['https://[::1]/hooks', 'address'],
      ['https://169.254.169.254/latest', 'address'],
      ['https://intranet.example.com/', 'address'],
      ['https://nowhere.example.com/', 'unresolvable'],
      ['https://localhost/', 'host'],
      ['https://admin:hunter2@hooks.example.com/', 'credentials'],
      ['hooks.example.com/iris', 'invalid_url'],
    ] as const) {
      const res = await create({ url, eventTypes: ['budget.threshold_crossed'] });
      expect(res.status, url).toBe(422);
      expect(await res.json(), url).toMatchObject({ error: { code: 'webhook_url_refused', details: { path: 'url', reason } } });
    }
    expect(await endpointsOf(project.id)).toBe(before);
  });

  it('refuses unknown or repeated event types, unknown fields and a missing URL', async () => {
    for (const body of [
      { url: HOOK_URL, eventTypes: ['budget.exploded'] },
      { url: HOOK_URL, eventTypes: [] },
      { url: HOOK_URL, eventTypes: ['budget.threshold_crossed', 'budget.threshold_crossed'] },
      { url: HOOK_URL, eventTypes: ['webhook.test'] },
      { url: HOOK_URL, eventTypes: ['budget.threshold_crossed'], secret: 'whsec_mine' },
      { eventTypes: ['budget.threshold_crossed'] },
      { url: HOOK_URL, eventTypes: ['budget.threshold_crossed'], description: 'x'.repeat(257) },
    ]) {
      const res = await create(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
  });

  it('allows 20 enabled endpoints per project, then answers 409', async () => {
    const crowded = await app.createProject('Crowded');
    for (let i = 0; i < 20; i++) expect((await create({ url: HOOK_URL, eventTypes: ['budget.threshold_crossed'] }, {}, crowded)).status).toBe(201);
    const res = await create({ url: HOOK_URL, eventTypes: ['budget.threshold_crossed'] }, {}, crowded);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'webhook_limit_reached' } });
  });

  it('answers 503 naming IRIS_ENCRYPTION_KEY when it is not configured, and still lists endpoints', async () => {
    const bare = await createTestApp({ db: app.db, env: { IRIS_ENCRYPTION_KEY: '' }, webhooks: { resolve, transport } });
    try {
      const res = await bare.request('/api/iris/webhooks', { method: 'POST', key: project.key, json: { url: HOOK_URL, eventTypes: ['budget.threshold_crossed'] } });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('webhooks_not_configured');
      expect(body.error.message).toContain('IRIS_ENCRYPTION_KEY');
      expect((await bare.request('/api/iris/webhooks', { key: project.key })).status).toBe(200);
    } finally {
      await bare.services.background.drain();
    }
  });
});

describe('POST /api/iris/webhooks/{id}/test and the delivery log', () => {
  it('answers 202 at once and delivers a signed webhook.test in the background', async () => {
    const endpoint = await newEndpoint();
    receiver.sent.length = 0;
    receiver.answer = () => ({ kind: 'response', status: 200, body: 'thanks', retryAfter: null });
    const res = await sendTest(endpoint.id);
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as { eventId: string; deliveryId: string; status: string };
    expect(accepted).toMatchObject({ status: 'pending' });
    await app.services.background.drain();
    expect(receiver.sent).toHaveLength(1);
    const [request] = receiver.sent;
    expect(request!.url).toBe(HOOK_URL);
    expect(request!.headers['webhook-id']).toBe(accepted.eventId);
    // Verified as a receiver would: Date.now() is close to the test clock.
    const data = new Webhook(endpoint.secret!).verify(request!.body, request!.headers);
    expect(data).toEqual({ type: 'webhook.test', timestamp: expect.any(String), data: { endpointId: endpoint.id, message: 'A test event sent from Iris.' } });
    const log = await deliveries(endpoint.id);
    expect(log.data).toEqual([expect.objectContaining({ id: accepted.deliveryId, eventId: accepted.eventId, eventType: 'webhook.test', status: 'succeeded', attempts: 1, lastStatus: 200, lastError: null, lastResponse: 'thanks' })]);
    expect(log.nextCursor).toBeNull();
  });

  it('retries a failed attempt on the schedule: the next request once it is due sends it again', async () => {
    const endpoint = await newEndpoint();
    receiver.answer = () => ({ kind: 'response', status: 503, body: 'busy', retryAfter: null });
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const [first] = (await deliveries(endpoint.id)).data;
    expect(first).toMatchObject({ status: 'pending', attempts: 1, lastStatus: 503, lastError: 'HTTP 503', lastResponse: 'busy' });
    expect(Date.parse(first!.nextAttemptAt!) - clock).toBe(30_000);
    receiver.answer = () => ({ kind: 'response', status: 204, body: '', retryAfter: null });
    // Before it is due, requests send nothing; after, the first request drains it in the background.
    clock += 29_000;
    await app.request('/api/iris/webhooks', { key: project.key });
    await app.services.background.drain();
    expect((await deliveries(endpoint.id)).data[0]).toMatchObject({ attempts: 1 });
    clock += 2_000;
    await app.request('/api/iris/webhooks', { key: project.key });
    await app.services.background.drain();
    expect((await deliveries(endpoint.id)).data[0]).toMatchObject({ status: 'succeeded', attempts: 2, lastStatus: 204 });
  });

  it('sends one test event and disables once when the writes are retried with their Idempotency-Key', async () => {
    const endpoint = await newEndpoint();
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    const send = (key: string) => app.request(`/api/iris/webhooks/${endpoint.id}/test`, { method: 'POST', key: project.key, headers: { 'idempotency-key': key } });
    const testKey = crypto.randomUUID();
    const [first, again] = [await send(testKey), await send(testKey)];
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.text()).toBe(await first.text());
    await app.services.background.drain();
    expect((await deliveries(endpoint.id)).data).toHaveLength(1);
    const remove = (key: string) => app.request(`/api/iris/webhooks/${endpoint.id}`, { method: 'DELETE', key: project.key, headers: { 'idempotency-key': key } });
    const deleteKey = crypto.randomUUID();
    const [gone, goneAgain] = [await remove(deleteKey), await remove(deleteKey)];
    expect([gone.status, goneAgain.status]).toEqual([200, 200]);
    expect(goneAgain.headers.get('idempotent-replayed')).toBe('true');
  });

  it('pages the delivery log with nextCursor, newest first', async () => {
    const endpoint = await newEndpoint();
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    for (let i = 0; i < 5; i++) await sendTest(endpoint.id);
    await app.services.background.drain();
    const first = await deliveries(endpoint.id, '?limit=2');
    expect(first.data).toHaveLength(2);
    const second = await deliveries(endpoint.id, `?limit=2&cursor=${first.nextCursor}`);
    const third = await deliveries(endpoint.id, `?limit=2&cursor=${second.nextCursor}`);
    expect(third.nextCursor).toBeNull();
    const ids = [...first.data, ...second.data, ...third.data].map((d) => d.id);
    expect(new Set(ids).size).toBe(5);
  });

  it('answers 404 for an unknown endpoint, and 422 for an id that is not one', async () => {
    for (const path of ['/test', '/deliveries', '']) {
      const method = path === '/test' ? 'POST' : 'GET';
      expect((await app.request(`/api/iris/webhooks/${crypto.randomUUID()}${path}`, { method, key: project.key })).status, path).toBe(404);
      expect((await app.request(`/api/iris/webhooks/not-a-uuid${path}`, { method, key: project.key })).status, path).toBe(422);
    }
  });
});

describe('DELETE /api/iris/webhooks/{id}', () => {
  it('disables the endpoint for good, keeps its log readable, and refuses test sends to it', async () => {
    const endpoint = await newEndpoint();
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const res = await app.request(`/api/iris/webhooks/${endpoint.id}`, { method: 'DELETE', key: project.key });
    expect(res.status).toBe(200);
    const disabled = (await res.json()) as Endpoint;
    expect(disabled).toMatchObject({ id: endpoint.id, disabledReason: 'deleted', disabledAt: expect.any(String) });
    const again = await app.request(`/api/iris/webhooks/${endpoint.id}`, { method: 'DELETE', key: project.key });
    expect(await again.json()).toEqual(disabled);
    expect((await sendTest(endpoint.id)).status).toBe(409);
    expect((await deliveries(endpoint.id)).data).toHaveLength(1);
    expect((await app.request(`/api/iris/webhooks/${crypto.randomUUID()}`, { method: 'DELETE', key: project.key })).status).toBe(404);
  });

  it('lets no project see, test, drain or disable another project’s endpoint', async () => {
    const endpoint = await newEndpoint();
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/deliveries'],
      ['POST', '/test'],
      ['DELETE', ''],
    ] as const) {
      expect((await app.request(`/api/iris/webhooks/${endpoint.id}${path}`, { method, key: other.key })).status, `${method} ${path}`).toBe(404);
    }
    expect(await (await app.request('/api/iris/webhooks', { key: other.key })).json()).toEqual({ data: [], nextCursor: null });
    expect((await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).status).toBe(200);
  });
});

describe('PATCH /api/iris/webhooks/{id}', () => {
  const update = (id: string, json: unknown, options: { key?: string; headers?: Record<string, string> } = {}) =>
    app.request(`/api/iris/webhooks/${id}`, { method: 'PATCH', key: options.key ?? project.key, json, headers: options.headers ?? {} });
  const MOVED = 'https://hooks.example.com/iris/v2';

  it('changes only the fields sent, keeps the id, the secret and the delivery log, and sends the next delivery to the new URL', async () => {
    const endpoint = await newEndpoint({ description: 'budget alerts' });
    receiver.sent.length = 0;
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    await sendTest(endpoint.id);
    await app.services.background.drain();
    expect(receiver.sent.map((r) => r.url)).toEqual([HOOK_URL]);

    const res = await update(endpoint.id, { url: MOVED });
    expect(res.status, await res.clone().text()).toBe(200);
    const changed = (await res.json()) as Endpoint;
    expect(changed).toEqual({ ...endpoint, secret: undefined, url: MOVED });
    expect(Object.keys(changed)).not.toContain('secret');
    expect(await (await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).json()).toEqual(changed);
    // null removes the description; the URL stays as it is now.
    expect(await (await update(endpoint.id, { description: null })).json()).toMatchObject({ url: MOVED, description: null, eventTypes: ['budget.threshold_crossed'] });
    expect(await (await update(endpoint.id, { description: 'moved', eventTypes: ['budget.threshold_crossed'] })).json()).toMatchObject({ url: MOVED, description: 'moved' });

    // The same secret signs, the new URL receives, and the log has both deliveries.
    receiver.sent.length = 0;
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const [request] = receiver.sent;
    expect(request!.url).toBe(MOVED);
    expect(new Webhook(endpoint.secret!).verify(request!.body, request!.headers)).toMatchObject({ type: 'webhook.test' });
    expect((await deliveries(endpoint.id)).data.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('checks a new URL with the SSRF rules, and changes nothing when it is refused', async () => {
    const endpoint = await newEndpoint();
    for (const url of ['https://intranet.example.com/hook', 'http://hooks.example.com/iris', 'https://127.0.0.1/hook', 'https://unknown.example.com/hook']) {
      const res = await update(endpoint.id, { url });
      expect(res.status, url).toBe(422);
      expect(await res.json()).toMatchObject({ error: { code: 'webhook_url_refused', details: { path: 'url' } } });
    }
    expect(await (await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).json()).toMatchObject({ url: HOOK_URL });
  });

  it('refuses an empty change, unknown fields and bad values with 422, and answers a retry with the same Idempotency-Key from the first', async () => {
    const endpoint = await newEndpoint();
    for (const body of [{}, { projectId: project.id }, { secret: 'whsec_x' }, { eventTypes: [] }, { eventTypes: ['run.finished'] }, { eventTypes: ['budget.threshold_crossed', 'budget.threshold_crossed'] }, { description: '' }, { url: '' }, { url: 42 }]) {
      const res = await update(endpoint.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect(await (await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).json()).toMatchObject({ url: HOOK_URL, description: null });
    const key = crypto.randomUUID();
    const first = await update(endpoint.id, { description: 'once' }, { headers: { 'idempotency-key': key } });
    const again = await update(endpoint.id, { description: 'once' }, { headers: { 'idempotency-key': key } });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect((await update(endpoint.id, { description: 'twice' }, { headers: { 'idempotency-key': key } })).status).toBe(422);
  });

  it('answers 404 for another project’s or an unknown endpoint and 409 for a disabled one, changing nothing', async () => {
    const endpoint = await newEndpoint();
    expect((await update(endpoint.id, { url: MOVED }, { key: other.key })).status).toBe(404);
    expect((await update(crypto.randomUUID(), { url: MOVED })).status).toBe(404);
    expect((await update('not-a-uuid', { url: MOVED })).status).toBe(422);
    await app.request(`/api/iris/webhooks/${endpoint.id}`, { method: 'DELETE', key: project.key });
    const res = await update(endpoint.id, { url: MOVED });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'webhook_disabled' } });
    expect(await (await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).json()).toMatchObject({ url: HOOK_URL, disabledReason: 'deleted' });
  });
});

describe('POST /api/iris/webhooks/{id}/rotate-secret', () => {
  const rotate = (id: string, json?: unknown, options: { key?: string; headers?: Record<string, string> } = {}) =>
    app.request(`/api/iris/webhooks/${id}/rotate-secret`, { method: 'POST', key: options.key ?? project.key, ...(json === undefined ? {} : { json }), headers: options.headers ?? {} });
  type Rotated = Endpoint & { secret: string; previousSecretExpiresAt: string | null };

  it('shows a new secret once and signs with both secrets for 24 h by default, so the receiver may switch at any time', async () => {
    const endpoint = await newEndpoint();
    const res = await rotate(endpoint.id);
    expect(res.status, await res.clone().text()).toBe(200);
    const rotated = (await res.json()) as Rotated;
    expect(rotated).toMatchObject({ id: endpoint.id, url: HOOK_URL, disabledAt: null, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect(Object.keys(rotated)).not.toContain('secretCiphertext');
    expect(Date.parse(rotated.previousSecretExpiresAt!) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    // Never again: not in the endpoint, not in the list.
    expect(await (await app.request(`/api/iris/webhooks/${endpoint.id}`, { key: project.key })).text()).not.toContain(rotated.secret);
    receiver.sent.length = 0;
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const [request] = receiver.sent;
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [rotated.secret, endpoint.secret!]) expect(new Webhook(secret).verify(request!.body, request!.headers)).toMatchObject({ type: 'webhook.test' });
  });

  it('retires the old secret at once with an overlap of 0, and replays the same secret for a retry with the same Idempotency-Key', async () => {
    const endpoint = await newEndpoint();
    const key = crypto.randomUUID();
    const [first, again] = [await rotate(endpoint.id, { overlapSeconds: 0 }, { headers: { 'idempotency-key': key } }), await rotate(endpoint.id, { overlapSeconds: 0 }, { headers: { 'idempotency-key': key } })];
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rotated = (await first.json()) as Rotated;
    expect(await again.json()).toEqual(rotated);
    expect(rotated.previousSecretExpiresAt).toBeNull();
    receiver.sent.length = 0;
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const [request] = receiver.sent;
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(new Webhook(rotated.secret).verify(request!.body, request!.headers)).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(endpoint.secret!).verify(request!.body, request!.headers)).toThrow();
  });

  it('refuses a bad overlap, an unknown field, another project’s or a disabled endpoint, and answers 503 without IRIS_ENCRYPTION_KEY', async () => {
    const endpoint = await newEndpoint();
    for (const body of [{ overlapSeconds: -1 }, { overlapSeconds: 604_801 }, { overlapSeconds: 1.5 }, { overlapSeconds: '60' }, { overlap: 60 }]) {
      const res = await rotate(endpoint.id, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    expect((await rotate(endpoint.id, undefined, { key: other.key })).status).toBe(404);
    expect((await rotate(crypto.randomUUID())).status).toBe(404);
    expect((await rotate('not-a-uuid')).status).toBe(422);
    const bare = await createTestApp({ db: app.db, env: { IRIS_ENCRYPTION_KEY: '' }, webhooks: { resolve, transport } });
    try {
      const res = await bare.request(`/api/iris/webhooks/${endpoint.id}/rotate-secret`, { method: 'POST', key: project.key });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('IRIS_ENCRYPTION_KEY');
    } finally {
      await bare.services.background.drain();
    }
    await app.request(`/api/iris/webhooks/${endpoint.id}`, { method: 'DELETE', key: project.key });
    const res = await rotate(endpoint.id);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'webhook_disabled' } });
  });
});

describe('GET /api/cron/webhooks', () => {
  it('does not exist without CRON_SECRET and refuses a wrong one', async () => {
    const bare = await createTestApp({ db: app.db });
    try {
      expect((await bare.request('/api/cron/webhooks', { key: CRON_SECRET })).status).toBe(404);
    } finally {
      await bare.services.background.drain();
    }
    for (const key of [null, `${CRON_SECRET}x`, project.key, ADMIN_TOKEN]) expect((await app.request('/api/cron/webhooks', { key })).status).toBe(401);
  });

  it('sends what is due on behalf of any instance and reports it', async () => {
    const endpoint = await newEndpoint();
    // Queued by a producer (the budgets engine does this in SQL), so no instance was told to drain.
    const [event] = await app.db.rpc('enqueue_webhook_event', {
      p_project_id: project.id,
      p_type: 'budget.threshold_crossed',
      p_payload: { budgetId: 'b-1', threshold: 0.5 },
      p_dedupe_key: `budget:b-1:0.5:${crypto.randomUUID()}`,
    });
    receiver.sent.length = 0;
    receiver.answer = () => ({ kind: 'response', status: 200, body: '', retryAfter: null });
    const res = await app.request('/api/cron/webhooks', { key: CRON_SECRET });
    expect(res.status).toBe(200);
    const report = (await res.json()) as Record<string, unknown>;
    expect(report).toMatchObject({ outcome: 'complete', failed: 0, backlog: { due: 0 }, expiredEvents: 0, retiredSecrets: expect.any(Number) });
    expect(report.succeeded).toBeGreaterThanOrEqual(1);
    expect(receiver.sent.map((r) => r.headers['webhook-id'])).toContain(event!.event_id);
    expect((await deliveries(endpoint.id)).data[0]).toMatchObject({ eventType: 'budget.threshold_crossed', status: 'succeeded' });
  });

  it('clears a previous signing secret from its endpoint once the rotation overlap has ended', async () => {
    const endpoint = await newEndpoint();
    const rotated = await app.request(`/api/iris/webhooks/${endpoint.id}/rotate-secret`, { method: 'POST', key: project.key, json: { overlapSeconds: 60 } });
    expect(rotated.status).toBe(200);
    const kept = async () => (await app.db.query<{ kept: boolean }>('select previous_secret_ciphertext is not null as kept from webhook_endpoints where id = $1', [endpoint.id]))[0]!.kept;
    const cron = async () => (await (await app.request('/api/cron/webhooks', { key: CRON_SECRET })).json()) as { retiredSecrets: number };
    await cron();
    expect(await kept()).toBe(true);
    await app.db.query(`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [endpoint.id]);
    expect((await cron()).retiredSecrets).toBeGreaterThanOrEqual(1);
    expect(await kept()).toBe(false);
    expect((await cron()).retiredSecrets).toBe(0);
  });
});

describe('what webhooks leave behind', () => {
  it('counts attempts and deliveries by event type and outcome, and never shows a secret in logs or metrics', async () => {
    const endpoint = await newEndpoint();
    receiver.answer = () => ({ kind: 'timeout', message: 'no complete answer within 10000 ms' });
    await sendTest(endpoint.id);
    await app.services.background.drain();
    const res = await app.request('/api/metrics?format=prometheus', { key: METRICS_TOKEN });
    const text = await res.text();
    expect(text).toMatch(/webhook_delivery_attempts_total\{event_type="webhook.test",outcome="success"\} [1-9]/);
    expect(text).toMatch(/webhook_delivery_attempts_total\{event_type="webhook.test",outcome="timeout"\} 1/);
    expect(text).toMatch(/webhook_deliveries_total\{event_type="webhook.test",status="succeeded"\} [1-9]/);
    expect(text).toMatch(/webhook_backlog\{state="waiting"\} [1-9]/);
    expect(text).toMatch(/webhook_drains_total\{trigger="write",outcome="complete"\} [1-9]/);
    const secrets = [endpoint.secret!, endpoint.secret!.slice(6), ENCRYPTION_KEY];
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      for (const line of app.logs) expect(line).not.toContain(secret);
    }
  });
});
