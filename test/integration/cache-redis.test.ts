import { describe, expect, it } from 'vitest';
import { createBackground } from '../../lib/background.js';
import { cacheKey, cachePolicy, createTieredCache, type CacheEvent } from '../../lib/cache/index.js';
import { createUpstashKv } from '../../lib/kv/index.js';

/** The tiered cache with its L2 on a real redis-server through the Upstash REST bridge. */
const url = process.env.IRIS_TEST_KV_URL;
const token = process.env.IRIS_TEST_KV_TOKEN;
const policy = cachePolicy({ ttlMs: 30_000, staleMs: 30_000, graceMs: 60_000 });

function instance() {
  const events: CacheEvent[] = [];
  const background = createBackground({ waitUntil: () => {} });
  const cache = createTieredCache({
    kv: createUpstashKv({ url: url!, token: token!, timeoutMs: 1_000 }),
    kvTimeoutMs: 1_000,
    background,
    generationCheckMs: 50,
    observer: { record: (e) => events.push(e) },
  });
  return { cache, background, events };
}

describe.skipIf(!url || !token)('the tiered cache on real Redis', () => {
  it('serves a second instance from L2 with the same body and ETag, without computing', async () => {
    const one = instance();
    const two = instance();
    const key = cacheKey(`p-${crypto.randomUUID()}`, 'overview', { window: '24h' });
    let computes = 0;
    const compute = async () => JSON.stringify({ n: ++computes });
    const first = await one.cache.getOrCompute(key, compute, { policy });
    await one.background.drain();
    const second = await two.cache.getOrCompute(key, compute, { policy });
    expect(second).toMatchObject({ status: 'HIT-L2', value: first.value, etag: first.etag });
    expect(computes).toBe(1);
  });

  it('round-trips a large compressed body exactly, unicode included', async () => {
    const one = instance();
    const two = instance();
    const key = cacheKey(`p-${crypto.randomUUID()}`, 'stats', { from: 'a', to: 'b' });
    const body = JSON.stringify({ rows: Array.from({ length: 2_000 }, (_, i) => ({ i, model: `modèle-${i % 7}`, emoji: '🙂' })) });
    await one.cache.getOrCompute(key, async () => body, { policy });
    await one.background.drain();
    const read = await two.cache.getOrCompute(key, async () => 'recomputed', { policy });
    expect(read.status).toBe('HIT-L2');
    expect(read.value).toBe(body);
  });

  it('makes a bump on one instance visible on another after the generation check', async () => {
    const one = instance();
    const two = instance();
    const project = `p-${crypto.randomUUID()}`;
    const key = cacheKey(project, 'reports', {});
    let version = 1;
    const compute = async () => JSON.stringify({ version });
    expect((await two.cache.getOrCompute(key, compute, { policy })).value).toBe('{"version":1}');
    version = 2;
    await one.cache.bump(project, 'reports');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await two.cache.getOrCompute(key, compute, { policy })).value).toBe('{"version":2}');
  });
});
