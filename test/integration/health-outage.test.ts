/**
 * GET /api/health/detailed on real servers (issue 11): Iris's local server on
 * a throwaway PostgreSQL 15 and a throwaway redis-server behind the Upstash
 * REST bridge, all started here on free ports and stopped by PID, so no other
 * suite is disturbed. Each dependency is slowed, frozen or stopped in turn,
 * and the answer must say exactly that, then say `ok` again once it is back,
 * without restarting Iris.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { startKvBridge, type KvBridge } from '../../lib/kv/bridge/index.js';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import { createLogger } from '../../lib/log.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from './harness/index.js';

const METRICS_TOKEN = 'health-outage-metrics-token';
const KV_TOKEN = 'health-outage-kv-token';
const API_DIR = fileURLToPath(new URL('../../api', import.meta.url));

interface Detailed {
  status: 'ok' | 'degraded' | 'down';
  database: { status: string; kind: string; latencyMs: number; reason?: string };
  migrations: { status: string; missing: string[] };
  kv: { status: string; kind: string; latencyMs: number; reason?: string };
  circuits: { db: string; kv: string };
  limiter: { mode: string };
}

let pg: PostgresServer;
let redis: RedisServer;
let bridge: KvBridge;
let server: LocalServer;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  bridge = await startKvBridge({ redisPort: redis.port, token: KV_TOKEN });
  const setup = createPostgresDb({ url: pg.url, poolMax: 1 });
  await migrate(setup);
  await setup.close();
  const config = loadConfig({
    DATABASE_URL: pg.url,
    KV_REST_API_URL: bridge.url,
    KV_REST_API_TOKEN: KV_TOKEN,
    IRIS_METRICS_TOKEN: METRICS_TOKEN,
    IRIS_IP_LIMIT_PER_MINUTE: '10000000',
  });
  const services = await createServices({ config, log: createLogger({ level: 'silent' }), processMetrics: false });
  server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
});

afterAll(async () => {
  await server?.close();
  await bridge?.close();
  await Promise.all([pg?.stop(), redis?.stop()]);
});

async function detailed(): Promise<{ status: number; body: Detailed; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${server.url}/api/health/detailed`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as Detailed;
  return { status: res.status, body, ms: performance.now() - started };
}

/** Asks until the answer matches (a dependency takes a moment to be noticed as gone or back), at most `timeoutMs`. */
async function until(matches: (answer: Awaited<ReturnType<typeof detailed>>) => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last: Awaited<ReturnType<typeof detailed>> | undefined;
  while (Date.now() < deadline) {
    last = await detailed();
    if (await matches(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the detailed health never said ${what}; last answer ${last?.status}: ${JSON.stringify(last?.body)}`);
}

const ok = (a: Awaited<ReturnType<typeof detailed>>) => a.status === 200 && a.body.status === 'ok';

describe.skipIf(!process.env.IRIS_TEST_DATABASE_URL)('GET /api/health/detailed against real dependencies', () => {
  it('says ok with PostgreSQL 15, Redis through the bridge, the fleet limiter and every migration applied', async () => {
    const answer = await until(ok, 'ok');
    expect(answer.body).toMatchObject({
      database: { status: 'up', kind: 'postgres' },
      migrations: { status: 'current', missing: [] },
      kv: { status: 'up', kind: 'upstash' },
      circuits: { db: 'closed', kv: 'closed' },
      limiter: { mode: 'fleet' },
    });
  });

  it('says the KV is slow when the REST hop is slowed, and degraded, not down', async () => {
    bridge.delayMs = 150;
    try {
      const answer = await until((a) => a.body.kv.status === 'slow', 'the KV is slow');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'degraded', database: { status: 'up' } });
      expect(answer.body.kv.latencyMs).toBeGreaterThanOrEqual(150);
    } finally {
      bridge.delayMs = 0;
    }
    await until(ok, 'ok after the KV sped up again');
  });

  it('says the KV is down (timeout) while Redis is frozen, and down (error) while it is stopped; ok once it is back', async () => {
    redis.pause();
    try {
      const frozen = await until((a) => a.body.kv.status === 'down', 'the KV is down while Redis is frozen');
      expect(frozen.status).toBe(200);
      expect(frozen.body).toMatchObject({ status: 'degraded', kv: { reason: 'timeout' }, database: { status: 'up' } });
    } finally {
      redis.resume();
    }
    await until(ok, 'ok after Redis thawed');

    const port = redis.port;
    await redis.stop();
    const stopped = await until((a) => a.body.kv.status === 'down', 'the KV is down while Redis is stopped');
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({ status: 'degraded', kv: { reason: 'error' } });
    // Answered fast: the bridge refuses at once, nothing waits for the budget.
    expect(stopped.body.kv.latencyMs).toBeLessThan(500);
    redis = await startRedis({ port });
    await until(ok, 'ok after Redis restarted');
  });

  it('says the database is slow while a lock holds its call up, and down (timeout, 503) while the lock outlasts the probe budget', async () => {
    const locker = postgres(pg.url, { max: 1, onnotice: () => undefined });
    try {
      // Holds the tracking table the probe's function reads, for about 400 ms: answered, but slowly.
      const slow = (async () => {
        await locker.begin(async (tx) => {
          await tx`lock table public.iris_schema_migrations in access exclusive mode`;
          await new Promise((resolve) => setTimeout(resolve, 400));
        });
      })();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const slowAnswer = await detailed();
      await slow;
      expect(slowAnswer.status).toBe(200);
      expect(slowAnswer.body).toMatchObject({ status: 'degraded', database: { status: 'slow' }, migrations: { status: 'current' } });
      expect(slowAnswer.body.database.latencyMs).toBeGreaterThan(250);

      // Held for 3 s: past the probe's 1 s budget.
      let release!: () => void;
      const held = locker.begin(async (tx) => {
        await tx`lock table public.iris_schema_migrations in access exclusive mode`;
        await new Promise<void>((resolve) => (release = resolve));
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stuck = await detailed();
      release();
      await held;
      expect(stuck.status).toBe(503);
      expect(stuck.body).toMatchObject({ status: 'down', database: { status: 'down', reason: 'timeout' }, migrations: { status: 'unknown' } });
      // The probe gave up at its budget instead of waiting for the lock.
      expect(stuck.ms).toBeLessThan(2_500);
    } finally {
      await locker.end();
    }
    await until(ok, 'ok after the lock was released');
  });

  it('says the database is down (connection, 503) while PostgreSQL is stopped, the circuit opens under traffic, and all is ok after the restart', async () => {
    await pg.halt();
    try {
      const down = await until((a) => a.status === 503, 'the database is down');
      expect(down.body).toMatchObject({ status: 'down', database: { status: 'down', reason: 'connection' }, migrations: { status: 'unknown' }, kv: { status: 'up' } });
      // Requests that need the database open its circuit; the health answer shows it.
      for (let i = 0; i < 10; i++) await fetch(`${server.url}/api/iris/overview`, { headers: { authorization: `Bearer iris_sk_${'A'.repeat(43)}` } });
      const open = await until((a) => a.body.circuits.db === 'open', 'the database circuit is open');
      expect(open.status).toBe(503);
    } finally {
      await pg.restart();
    }
    // The probe sees the database back at once; the circuit closes on the next request's probe after its cooldown.
    await until((a) => a.body.database.status === 'up', 'the database is up again');
    const recovered = await until(
      async (a) => {
        if (a.body.circuits.db === 'closed') return true;
        await fetch(`${server.url}/api/iris/overview`, { headers: { authorization: `Bearer iris_sk_${'B'.repeat(43)}` } });
        return false;
      },
      'ok with the circuit closed',
    );
    expect(recovered.body.status).toBe('ok');
  }, 90_000);
});
