/**
 * Webhooks on a real PostgreSQL 15 (IRIS_TEST_DATABASE_URL, started by
 * test/integration/run.ts) with real HTTP: the outbox contract with truly
 * concurrent claimers, and deliveries over the Node transport to a receiver
 * on 127.0.0.1 that verifies every signature with the `standardwebhooks`
 * package, as a customer's receiver would. Endpoints are created through the
 * API (local mode allows the loopback receiver), so the secret each test
 * verifies with is the one the API showed once.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { runWebhookOutboxContract } from '../../lib/webhooks/contract.js';
import { createTestApp, type TestApp, type TestProject } from '../support/app.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const CRON_SECRET = 'cron-secret-for-webhook-integration';

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Delivery {
  path: string;
  id: string;
  timestamp: string;
  /** Whether the signature verified. */
  verified: boolean;
  /** The status the receiver answered. */
  status: number | null;
  body: unknown;
}

/**
 * A webhook receiver on a free port of 127.0.0.1. Every request is verified
 * with the secret registered for its path; `answer` decides the status (or
 * hangs when it returns null).
 */
async function startReceiver(answer: (path: string, webhookId: string, nth: number) => number | null) {
  const secrets = new Map<string, string>();
  const received: Delivery[] = [];
  const perId = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const id = String(req.headers['webhook-id'] ?? '');
      const nth = (perId.get(id) ?? 0) + 1;
      perId.set(id, nth);
      const delivery: Delivery = { path, id, timestamp: String(req.headers['webhook-timestamp'] ?? ''), verified: false, status: null, body: null };
      received.push(delivery);
      try {
        delivery.body = new Webhook(secrets.get(path) ?? 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').verify(body, req.headers as Record<string, string>);
        delivery.verified = true;
      } catch {
        delivery.status = 401;
        return void res.writeHead(401).end('bad signature');
      }
      const status = answer(path, id, nth);
      if (status === null) return void hanging.add(res);
      delivery.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `failing on purpose (${nth})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** Registers the secret the API returned for the endpoint at `path`. */
    trust: (path: string, secret: string) => secrets.set(path, secret),
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe.skipIf(!adminUrl)('webhooks on PostgreSQL 15', () => {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const created: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  let url = '';

  function connect(poolMax = 10): SqlDb {
    const db = createPostgresDb({ url, poolMax, connectTimeoutMs: 2_000, statementTimeoutMs: null });
    closers.push(() => db.close());
    return db;
  }

  beforeAll(async () => {
    const name = `iris_webhooks_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin.unsafe(`create database ${name}`);
    created.push(name);
    url = databaseUrl(adminUrl!, name);
    await migrate(connect(1));
  });

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  runWebhookOutboxContract('postgres', async () => createPostgresDb({ url, poolMax: 8 }));

  describe('deliveries to a real receiver', () => {
    let clock = Date.now();
    let app: TestApp;
    let project: TestProject;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    /** Paths whose first three attempts fail; '/hang' never answers. */
    const answer = (path: string, _id: string, nth: number) => (path === '/hang' ? null : path === '/flaky' && nth <= 3 ? 503 : 200);

    beforeAll(async () => {
      receiver = await startReceiver(answer);
      closers.push(() => receiver.close());
      app = await createTestApp({
        db: connect(),
        env: { CRON_SECRET },
        local: true,
        now: () => clock,
        webhooks: { random: () => 0.5, timeoutMs: 500 },
      });
      closers.push(() => app.services.background.drain());
      project = await app.createProject('receivers', { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } });
    });

    async function endpoint(path: string, owner: TestProject = project): Promise<string> {
      const res = await app.request('/api/iris/webhooks', { method: 'POST', key: owner.key, json: { url: receiver.url(path), eventTypes: ['budget.threshold_crossed'] } });
      expect(res.status, await res.clone().text()).toBe(201);
      const { id, secret } = (await res.json()) as { id: string; secret: string };
      receiver.trust(path, secret);
      return id;
    }

    const log = async (id: string, owner: TestProject = project) =>
      ((await (await app.request(`/api/iris/webhooks/${id}/deliveries`, { key: owner.key })).json()) as {
        data: { eventId: string; status: string; attempts: number; lastStatus: number | null; lastError: string | null; nextAttemptAt: string | null }[];
      }).data;

    const cron = async () => {
      const res = await app.request('/api/cron/webhooks', { key: CRON_SECRET });
      expect(res.status).toBe(200);
      return (await res.json()) as { claimed: number; succeeded: number; retried: number; outcome: string };
    };

    it('delivers exactly one verified event when 200 writers enqueue the same dedupe key at once', async () => {
      const id = await endpoint('/budget');
      const producers = connect(20);
      const key = `budget:b-200:0.8:${new Date(clock).toISOString().slice(0, 10)}`;
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          producers.rpc('enqueue_webhook_event', {
            p_project_id: project.id,
            p_type: 'budget.threshold_crossed',
            p_payload: { budgetId: 'b-200', threshold: 0.8, writer: i },
            p_dedupe_key: key,
          }),
        ),
      );
      const stored = results.filter((rows) => rows.length === 1);
      expect(stored).toHaveLength(1);
      await cron();
      await cron();
      const mine = receiver.received.filter((d) => d.id === stored[0]![0]!.event_id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ verified: true, status: 200, body: { type: 'budget.threshold_crossed', data: { budgetId: 'b-200', threshold: 0.8 } } });
      expect(await log(id)).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, lastStatus: 200 })]);
    });

    it('gets one accepted delivery through to a receiver that fails the first three attempts; the log shows 4 attempts', async () => {
      const id = await endpoint('/flaky');
      const test = await app.request(`/api/iris/webhooks/${id}/test`, { method: 'POST', key: project.key });
      expect(test.status).toBe(202);
      const { eventId } = (await test.json()) as { eventId: string };
      await app.services.background.drain();
      for (let attempt = 2; attempt <= 4; attempt++) {
        const [row] = await log(id);
        expect(row, `before attempt ${attempt}`).toMatchObject({ status: 'pending', attempts: attempt - 1, lastStatus: 503 });
        // The schedule's next time (30 s, 60 s, 120 s with no jitter), reached by moving the clock, not by waiting.
        clock = Date.parse(row!.nextAttemptAt!);
        await cron();
      }
      const mine = receiver.received.filter((d) => d.id === eventId);
      expect(mine.map((d) => [d.verified, d.status])).toEqual([[true, 503], [true, 503], [true, 503], [true, 200]]);
      expect(new Set(mine.map((d) => d.timestamp)).size).toBe(4);
      expect(await log(id)).toEqual([expect.objectContaining({ eventId, status: 'succeeded', attempts: 4, lastStatus: 200, lastError: null })]);
    });

    it('gives up on a receiver that hangs after the request timeout, and schedules a retry', async () => {
      const id = await endpoint('/hang');
      const started = performance.now();
      await app.request(`/api/iris/webhooks/${id}/test`, { method: 'POST', key: project.key });
      await app.services.background.drain();
      expect(performance.now() - started).toBeLessThan(10_000);
      const [row] = await log(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1, lastStatus: null, lastError: 'timeout: no complete answer within 500 ms' });
    });

    it('sends each delivery once when two instances drain the same outbox at once', async () => {
      // A project of its own: every endpoint of a project subscribed to the type gets each event.
      const shared = await app.createProject('shared outbox');
      const id = await endpoint('/shared', shared);
      const second = await createTestApp({ db: connect(), env: { CRON_SECRET }, local: true, now: () => clock, webhooks: { random: () => 0.5, timeoutMs: 2_000 } });
      closers.push(() => second.services.background.drain());
      const producers = connect(5);
      const events: string[] = [];
      for (let i = 0; i < 40; i++) {
        const [row] = await producers.rpc('enqueue_webhook_event', { p_project_id: shared.id, p_type: 'budget.threshold_crossed', p_payload: { i }, p_dedupe_key: `shared-${i}` });
        events.push(row!.event_id);
      }
      await Promise.all([app.services.webhooks.drain(20_000, 'cron'), second.services.webhooks.drain(20_000, 'cron')]);
      const got = receiver.received.filter((d) => d.path === '/shared');
      expect(got).toHaveLength(40);
      expect(new Set(got.map((d) => d.id))).toEqual(new Set(events));
      expect(got.every((d) => d.verified && d.status === 200)).toBe(true);
      expect((await log(id, shared)).every((d) => d.status === 'succeeded' && d.attempts === 1)).toBe(true);
    });
  });
});
