import { afterAll, describe, expect, it } from 'vitest';
import { startKvBridge } from '../../lib/kv/bridge/index.js';
import { createUpstashKv } from '../../lib/kv/index.js';
import { runRateLimiterContract, waitForWindowStart } from '../../lib/rate-limit/contract.js';
import { createUpstashRateLimiter } from '../../lib/rate-limit/index.js';

const url = process.env.IRIS_TEST_KV_URL;
const token = process.env.IRIS_TEST_KV_TOKEN;
const redisPort = process.env.IRIS_TEST_REDIS_PORT;

const limiterFor = (kvUrl: string, kvToken: string, timeoutMs = 1000) =>
  createUpstashRateLimiter({ redis: createUpstashKv({ url: kvUrl, token: kvToken }).redis, timeoutMs });

describe.skipIf(!url || !token)('@upstash/ratelimit on real Redis through the bridge', () => {
  runRateLimiterContract('upstash', () => ({
    limiter: limiterFor(url!, token!),
    windowMs: 1_000,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    alignToWindow: waitForWindowStart,
  }));

  it('shares one budget between two instances', async () => {
    const a = limiterFor(url!, token!);
    const b = limiterFor(url!, token!);
    const rule = { name: 'read' as const, limit: 20, windowMs: 60_000 };
    await waitForWindowStart(rule.windowMs);
    const who = `fleet-${crypto.randomUUID()}`;
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).check(rule, who)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
  });
});

describe.skipIf(!redisPort || !token)('a slow or failing Redis', () => {
  const bridges: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const bridge of bridges) await bridge.close();
  });

  it('lets requests through with reason timeout when Redis answers too late', async () => {
    const bridge = await startKvBridge({ redisPort: Number(redisPort), token: token!, delayMs: 400 });
    bridges.push(bridge);
    const limiter = limiterFor(bridge.url, token!, 100);
    const rule = { name: 'read' as const, limit: 1, windowMs: 60_000 };
    const decisions = await Promise.all([1, 2, 3].map(() => limiter.check(rule, `slow-${crypto.randomUUID()}`)));
    for (const d of decisions) expect(d).toMatchObject({ allowed: true, reason: 'timeout' });
  });

  it('lets requests through with reason error when Redis is unreachable', async () => {
    const bridge = await startKvBridge({ redisPort: 1, token: token! });
    bridges.push(bridge);
    const limiter = limiterFor(bridge.url, token!, 2_000);
    const decision = await limiter.check({ name: 'read', limit: 1, windowMs: 60_000 }, 'down');
    expect(decision).toMatchObject({ allowed: true, reason: 'error' });
  });
});
