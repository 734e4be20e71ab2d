/**
 * Budgets on a real PostgreSQL 15 (IRIS_TEST_DATABASE_URL) with real HTTP and
 * a real Redis (IRIS_TEST_KV_URL, the Upstash REST bridge in front of
 * redis-server), as issue 12's acceptance states them:
 *
 * - 200 concurrent writers, spread over two instances, push a budget across
 *   50%, 80% and 100%: exactly one `budget.threshold_crossed` per threshold
 *   reaches a receiver that verifies every signature with `standardwebhooks`,
 *   and one that fails the first three attempts of each still gets exactly
 *   one accepted delivery per threshold.
 * - Two instances sharing one KV: after spend crosses a hard limit on one,
 *   the budget check flips to `allowed: false` on the other within the bound
 *   docs/costs.md states, and back after the amount is raised.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { createUpstashKv } from '../../lib/kv/index.js';
import { createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const kvUrl = process.env.IRIS_TEST_KV_URL;
const kvToken = process.env.IRIS_TEST_KV_TOKEN;
const CRON_SECRET = 'cron-secret-for-budget-integration';
/** docs/costs.md ("How fast a check sees spend"): the generation check (1 s) plus the evaluation after ingest and a KV round trip. */
const FLIP_BOUND_MS = 2_000;
const LIMITS = { rateLimit: { readsPerMinute: 100_000, writesPerMinute: 100_000 } };

interface Received {
  path: string;
  id: string;
  status: number;
  verified: boolean;
  body: { type?: string; data?: { threshold?: number; budgetId?: string } } | null;
}

/** A receiver on 127.0.0.1 verifying with standardwebhooks; paths starting with /flaky fail each event's first 3 attempts. */
async function startReceiver() {
  const secrets = new Map<string, string>();
  const received: Received[] = [];
  const attempts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const id = String(req.headers['webhook-id'] ?? '');
      const nth = (attempts.get(`${path} ${id}`) ?? 0) + 1;
      attempts.set(`${path} ${id}`, nth);
      let parsed: Received['body'];
      try {
        parsed = new Webhook(secrets.get(path) ?? 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').verify(
          body,
          req.headers as Record<string, string>,
        ) as Received['body'];
      } catch {
        received.push({ path, id, status: 401, verified: false, body: null });
        return void res.writeHead(401).end('bad signature');
      }
      const status = path.startsWith('/flaky') && nth <= 3 ? 503 : 200;
      received.push({ path, id, status, verified: true, body: parsed });
      res.writeHead(status).end(status === 200 ? 'ok' : 'failing on purpose');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    trust: (path: string, secret: string) => secrets.set(path, secret),
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!adminUrl)('budgets on PostgreSQL 15', () => {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const closers: (() => Promise<void>)[] = [];
  let name = '';
  let url = '';

  function connect(poolMax = 10): SqlDb {
    const db = createPostgresDb({ url, poolMax, connectTimeoutMs: 2_000, statementTimeoutMs: null });
    closers.push(() => db.close());
    return db;
  }

  beforeAll(async () => {
    name = `iris_budgets_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    await admin.unsafe(`create database ${name}`);
    url = databaseUrl(adminUrl!, name);
    await migrate(connect(1));
  });

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  async function budget(app: TestApp, project: TestProject, json: Record<string, unknown>): Promise<string> {
    const res = await app.request('/api/iris/budgets', { method: 'POST', key: project.key, json });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  it('sends exactly one verified webhook per threshold when 200 writers on two instances push a budget past 100%, also to a receiver failing 3 attempts', async () => {
    let clock = Date.now();
    const receiver = await startReceiver();
    closers.push(() => receiver.close());
    const options = { env: { CRON_SECRET }, local: true, now: () => clock, webhooks: { random: () => 0.5, timeoutMs: 2_000 } };
    const one = await createTestApp({ db: connect(10), ...options });
    const two = await createTestApp({ db: connect(10), ...options });
    closers.push(
      () => one.services.background.drain(),
      () => two.services.background.drain(),
    );
    const project = await one.createProject('two hundred writers', LIMITS);
    for (const path of ['/steady', '/flaky']) {
      const res = await one.request('/api/iris/webhooks', {
        method: 'POST',
        key: project.key,
        json: { url: receiver.url(path), eventTypes: ['budget.threshold_crossed'] },
      });
      expect(res.status).toBe(201);
      receiver.trust(path, ((await res.json()) as { secret: string }).secret);
    }
    const budgetId = await budget(one, project, { name: 'fleet month', period: 'month', amountUsd: 10 });

    // 200 runs of $0.06: $12 in all, 120% of the amount, every threshold crossed while writers race.
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? one : two)
          .request('/api/iris/runs', { method: 'POST', key: project.key, json: sampleRun({ costUsd: 0.06, agentId: `writer-${i}` }) })
          .then((r) => r.status),
      ),
    );
    expect(statuses.every((s) => s === 201)).toBe(true);
    await Promise.all([one.services.background.drain(), two.services.background.drain()]);

    const events = await connect(1).query<{ id: string; threshold: number }>(
      `select id, (payload->>'threshold')::float8 as threshold from webhook_events where project_id = $1 and type = 'budget.threshold_crossed' order by 2`,
      [project.id],
    );
    expect(events.map((e) => e.threshold)).toEqual([0.5, 0.8, 1]);

    // Retries of the flaky receiver come due at +30 s, +60 s, +120 s: move the clock, drain through the cron route.
    for (const step of [0, 31_000, 61_000, 121_000]) {
      clock += step;
      const res = await one.request('/api/cron/webhooks', { key: CRON_SECRET });
      expect(res.status).toBe(200);
    }

    expect(receiver.received.every((d) => d.verified)).toBe(true);
    for (const path of ['/steady', '/flaky']) {
      const accepted = receiver.received.filter((d) => d.path === path && d.status === 200);
      expect(accepted.map((d) => d.body?.data?.threshold).sort(), path).toEqual([0.5, 0.8, 1]);
      expect(new Set(accepted.map((d) => d.id)).size, path).toBe(3);
      expect(accepted.every((d) => d.body?.type === 'budget.threshold_crossed' && d.body.data?.budgetId === budgetId)).toBe(true);
    }
    // The flaky receiver saw each event four times: three refused, one accepted.
    const flaky = receiver.received.filter((d) => d.path === '/flaky');
    expect(flaky.map((d) => d.status).sort()).toEqual([...Array(9).fill(503), 200, 200, 200].sort());

    // Spend to the cent from rollups and raw edges, against raw runs.
    const view = (await (await one.request(`/api/iris/budgets/${budgetId}`, { key: project.key })).json()) as { spentUsd: number };
    expect(view.spentUsd).toBeCloseTo(12, 2);
  });

  describe.skipIf(!kvUrl || !kvToken)('two instances sharing one KV', () => {
    it('flips the check to refused on the other instance within the documented bound after a hard limit is crossed, and back after the amount is raised', async () => {
      const db = connect(10);
      const instance = async () => {
        const kv = createUpstashKv({ url: kvUrl!, token: kvToken!, timeoutMs: 500 });
        const app = await createTestApp({ db, kv });
        closers.push(() => app.services.background.drain());
        return app;
      };
      const [writer, reader] = [await instance(), await instance()];
      const project = await writer.createProject('fleet hard limit', LIMITS);
      const id = await budget(writer, project, { name: 'hard day', period: 'day', amountUsd: 1, hardLimit: true });
      const check = async () =>
        ((await (await reader.request('/api/iris/budgets/check?agentId=a', { key: project.key })).json()) as { allowed: boolean }).allowed;

      expect(await check()).toBe(true);
      // Warm: the reader now answers from memory (its copy lasts 10 s).
      expect(await check()).toBe(true);

      const started = performance.now();
      const ingest = await writer.request('/api/iris/runs', {
        method: 'POST',
        key: project.key,
        json: { runs: [sampleRun({ costUsd: 0.6 }), sampleRun({ costUsd: 0.5 })] },
      });
      expect(ingest.status).toBe(201);
      let flippedAfter = Number.POSITIVE_INFINITY;
      while (performance.now() - started < 5_000) {
        if (!(await check())) {
          flippedAfter = performance.now() - started;
          break;
        }
        await sleep(20);
      }
      console.log(`[budgets-fleet] refused on the other instance ${flippedAfter.toFixed(0)} ms after the ingest's 201`);
      expect(flippedAfter).toBeLessThan(FLIP_BOUND_MS);

      const raised = performance.now();
      expect((await writer.request(`/api/iris/budgets/${id}`, { method: 'PATCH', key: project.key, json: { amountUsd: 5 } })).status).toBe(200);
      let allowedAfter = Number.POSITIVE_INFINITY;
      while (performance.now() - raised < 5_000) {
        if (await check()) {
          allowedAfter = performance.now() - raised;
          break;
        }
        await sleep(20);
      }
      console.log(`[budgets-fleet] allowed again ${allowedAfter.toFixed(0)} ms after the PATCH`);
      expect(allowedAfter).toBeLessThan(FLIP_BOUND_MS);
    });
  });
});
