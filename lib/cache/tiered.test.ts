import { describe, expect, it } from 'vitest';
import { createBackground } from '../background.js';
import { badRequest } from '../errors.js';
import { etagFor } from '../http-cache/index.js';
import { createMemoryKv, type KvStore } from '../kv/index.js';
import { CacheUnavailableError, SoftTimeoutError } from './errors.js';
import { cacheKey } from './key.js';
import type { CacheEvent } from './observer.js';
import { cachePolicy } from './policy.js';
import { createChaosKv, createManualClock, createManualTimers, deferred, settle, type ManualClock } from './testing.js';
import { createTieredCache, type TieredCacheOptions } from './tiered.js';

const policy = cachePolicy({ ttlMs: 10_000, staleMs: 5_000, graceMs: 60_000 });
const key = cacheKey('project-1', 'overview', { window: '24h' });

/** One cache instance: its own L1, background and events, on a shared clock and KV. */
function instance(clock: ManualClock, kv: KvStore | null, options: Partial<TieredCacheOptions> = {}) {
  const events: CacheEvent[] = [];
  const backgroundErrors: unknown[] = [];
  const logs: string[] = [];
  const background = createBackground({ waitUntil: () => {}, onError: (error) => backgroundErrors.push(error) });
  const cache = createTieredCache({
    kv,
    now: clock.now,
    background,
    observer: { record: (event) => events.push(event) },
    log: { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) },
    ...options,
  });
  return { cache, background, events, backgroundErrors, logs };
}

function setup(options: Partial<TieredCacheOptions> = {}) {
  const clock = createManualClock();
  const memory = createMemoryKv({ now: clock.now, maxEntries: 1_000_000, maxBytes: 512 * 1024 * 1024 });
  const kv = createChaosKv(memory);
  return { clock, memory, kv, ...instance(clock, kv, options) };
}

/** A compute that counts its runs and returns `{"n":<run>}`. */
function counter() {
  let runs = 0;
  const compute = async () => JSON.stringify({ n: ++runs });
  return { compute, runs: () => runs };
}

/** A compute held open until the test settles it, counting how often it was started. */
function gated() {
  const gate = deferred<string>();
  let runs = 0;
  const compute = () => {
    runs += 1;
    return gate.promise;
  };
  return { compute, runs: () => runs, resolve: gate.resolve, reject: gate.reject };
}

const outcomes = (events: CacheEvent[]) =>
  events.filter((e) => ['hit', 'miss', 'coalesced', 'stale', 'bypass', 'unavailable'].includes(e.type));

describe('createTieredCache: hits', () => {
  it('computes a cold key once and then serves it from L1', async () => {
    const { cache, background } = setup();
    const c = counter();
    const first = await cache.getOrCompute(key, c.compute, { policy });
    const second = await cache.getOrCompute(key, c.compute, { policy });
    await background.drain();
    expect(first).toMatchObject({ value: '{"n":1}', status: 'MISS' });
    expect(second).toMatchObject({ value: '{"n":1}', status: 'HIT-L1', etag: first.etag });
    expect(c.runs()).toBe(1);
  });

  it('stores the ETag of the body in the namespace of its key', async () => {
    const { cache } = setup();
    const result = await cache.getOrCompute(key, async () => '{"a":1}', { policy });
    expect(result.etag).toBe(await etagFor('{"a":1}', key.key));
  });

  it('serves another instance from L2 with the same body and ETag, without computing', async () => {
    const { clock, kv, cache, background } = setup();
    const first = await cache.getOrCompute(key, async () => '{"a":1}', { policy });
    await background.drain();
    const other = instance(clock, kv);
    const c = counter();
    const result = await other.cache.getOrCompute(key, c.compute, { policy });
    expect(result).toMatchObject({ value: '{"a":1}', etag: first.etag, status: 'HIT-L2' });
    expect(c.runs()).toBe(0);
    expect((await other.cache.getOrCompute(key, c.compute, { policy })).status).toBe('HIT-L1');
  });

  it('fills L1 from L2 with the remaining TTL only, never extending it', async () => {
    const { clock, kv, cache, background } = setup();
    await cache.getOrCompute(key, async () => '{"a":1}', { policy });
    await background.drain();
    clock.advance(6_000);
    const other = instance(clock, kv);
    const c = counter();
    const fromL2 = await other.cache.getOrCompute(key, c.compute, { policy });
    expect(fromL2).toMatchObject({ status: 'HIT-L2', ageMs: 6_000 });
    clock.advance(4_000); // 10 s after the compute: the TTL is over, for the copy in L1 too
    expect((await other.cache.getOrCompute(key, c.compute, { policy })).status).toBe('STALE');
  });

  it('reports the age of a value since its compute started', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(key, async () => '1', { policy });
    clock.advance(2_500);
    expect((await cache.getOrCompute(key, async () => '2', { policy })).ageMs).toBe(2_500);
  });

  it('keeps the values of two projects apart, with different ETags for the same body', async () => {
    const { cache } = setup();
    const a = await cache.getOrCompute(cacheKey('project-a', 'overview', {}), async () => '{"same":1}', { policy });
    const b = await cache.getOrCompute(cacheKey('project-b', 'overview', {}), async () => '{"same":1}', { policy });
    expect(b.status).toBe('MISS');
    expect(a.etag).not.toBe(b.etag);
  });

  it('records exactly one outcome event per call', async () => {
    const { cache, events, background } = setup();
    const c = counter();
    await cache.getOrCompute(key, c.compute, { policy });
    await cache.getOrCompute(key, c.compute, { policy });
    await background.drain();
    expect(outcomes(events)).toEqual([
      { type: 'miss', resource: 'overview' },
      { type: 'hit', layer: 'l1', resource: 'overview' },
    ]);
  });

  it('reports where the time went', async () => {
    const { cache } = setup();
    const { timings } = await cache.getOrCompute(key, async () => '1', { policy });
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.computeMs);
    expect(timings.kvMs).toBeGreaterThanOrEqual(0);
  });
});

describe('createTieredCache: stale-while-revalidate', () => {
  it('serves a stale value while one refresh runs', async () => {
    const { clock, cache, background } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    clock.advance(11_000);
    const slow = gated();
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.getOrCompute(key, slow.compute, { policy })));
    expect(results.every((r) => r.status === 'STALE' && r.value === 'v1')).toBe(true);
    await settle(); // the refresh looks in L2 first, then computes
    expect(slow.runs()).toBe(1);
    slow.resolve('v2');
    await background.drain();
    expect(await cache.getOrCompute(key, slow.compute, { policy })).toMatchObject({ status: 'HIT-L1', value: 'v2' });
  });

  it('serves a stale L2 copy at once to an instance with an empty L1 and refreshes it', async () => {
    const { clock, kv, cache, background } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    await background.drain();
    clock.advance(12_000);
    const other = instance(clock, kv);
    expect(await other.cache.getOrCompute(key, async () => 'v2', { policy })).toMatchObject({ status: 'STALE', value: 'v1' });
    await other.background.drain();
    expect(await other.cache.getOrCompute(key, async () => 'v3', { policy })).toMatchObject({ status: 'HIT-L1', value: 'v2' });
  });

  it('counts a failed refresh and keeps serving the stale value', async () => {
    const { clock, cache, background, events, backgroundErrors } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    clock.advance(11_000);
    const failing = () => Promise.reject(new Error('db down'));
    expect((await cache.getOrCompute(key, failing, { policy })).status).toBe('STALE');
    await background.drain();
    expect(events).toContainEqual({ type: 'refresh', outcome: 'error', resource: 'overview' });
    expect(backgroundErrors).toHaveLength(1);
    expect((await cache.getOrCompute(key, failing, { policy })).value).toBe('v1');
  });

  it('makes a miss that arrives during a refresh wait for that refresh instead of computing again', async () => {
    const { clock, cache, background } = setup();
    const shortStale = cachePolicy({ ttlMs: 10_000, staleMs: 1_000, graceMs: 60_000 });
    await cache.getOrCompute(key, async () => 'v1', { policy: shortStale });
    clock.advance(10_500);
    const slow = gated();
    expect((await cache.getOrCompute(key, slow.compute, { policy: shortStale })).status).toBe('STALE');
    clock.advance(1_000); // past the stale window while the refresh still runs
    const waiting = cache.getOrCompute(key, slow.compute, { policy: shortStale });
    slow.resolve('v2');
    expect(await waiting).toMatchObject({ status: 'COALESCED', value: 'v2' });
    expect(slow.runs()).toBe(1);
    await background.drain();
  });
});

describe('createTieredCache: stale-if-error', () => {
  const failing = () => Promise.reject(new Error('db down'));

  it('serves the last good value when the compute fails inside the grace window', async () => {
    const { clock, cache, events } = setup();
    await cache.getOrCompute(key, async () => 'good', { policy });
    clock.advance(30_000);
    const result = await cache.getOrCompute(key, failing, { policy });
    expect(result).toMatchObject({ status: 'STALE-ERROR', value: 'good' });
    expect((result.error as Error).message).toBe('db down');
    expect(events).toContainEqual({ type: 'stale', reason: 'error', resource: 'overview' });
  });

  it('serves the last good value from L2 to an instance that never had it', async () => {
    const { clock, kv, cache, background } = setup();
    await cache.getOrCompute(key, async () => 'good', { policy });
    await background.drain();
    clock.advance(30_000);
    const other = instance(clock, kv);
    expect(await other.cache.getOrCompute(key, failing, { policy })).toMatchObject({ status: 'STALE-ERROR', value: 'good' });
  });

  it('throws a 503 with Retry-After when the last good value is outside the grace window', async () => {
    const { clock, cache, events } = setup({ retryAfterS: 7 });
    await cache.getOrCompute(key, async () => 'good', { policy });
    clock.advance(10_000 + 60_000);
    const error = await cache.getOrCompute(key, failing, { policy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'upstream_unavailable', retryAfterS: 7, headers: { 'Retry-After': '7' } });
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(events).toContainEqual({ type: 'unavailable', resource: 'overview' });
  });

  it('throws a 503 when a cold key cannot be computed', async () => {
    const { cache } = setup();
    await expect(cache.getOrCompute(key, failing, { policy })).rejects.toBeInstanceOf(CacheUnavailableError);
  });

  it('rethrows a 4xx from the compute unchanged and serves nothing stale for it', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(key, async () => 'good', { policy });
    clock.advance(30_000);
    const invalid = badRequest('bad_cursor', 'The cursor is invalid.');
    await expect(cache.getOrCompute(key, () => Promise.reject(invalid), { policy })).rejects.toBe(invalid);
  });
});

describe('createTieredCache: the soft timeout', () => {
  it('answers every coalesced reader of a warm key from its copy once the soft timeout passes, while the one compute carries on', async () => {
    const soft = createManualTimers();
    const { clock, cache, events, background } = setup({ schedule: soft.schedule, softTimeoutMs: 800 });
    await cache.getOrCompute(key, async () => 'good', { policy });
    await background.drain();
    clock.advance(20_000); // past the TTL and the stale window, inside grace
    const slow = gated();
    const reads = Array.from({ length: 20 }, () => cache.getOrCompute(key, slow.compute, { policy }));
    await settle();
    expect(soft.pending).toBe(20);
    soft.fire();
    const results = await Promise.all(reads);
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 'STALE-ERROR'));
    expect(results.every((r) => r.value === 'good' && r.error instanceof SoftTimeoutError)).toBe(true);
    expect(slow.runs()).toBe(1);
    expect(events.filter((e) => e.type === 'stale')).toEqual(Array.from({ length: 20 }, () => ({ type: 'stale', reason: 'timeout', resource: 'overview' })));
    // The compute finishes later and fills the cache for the next read. The fill hashes the value for its
    // ETag on the thread pool, so how many turns it takes depends on the machine: wait for the copy itself.
    slow.resolve('fresh');
    for (let turn = 0; turn < 200 && cache.peek(key)?.value !== 'fresh'; turn++) await settle(1);
    expect(await cache.getOrCompute(key, slow.compute, { policy })).toMatchObject({ status: 'HIT-L1', value: 'fresh' });
  });

  it('does not bound a read that holds no copy: it waits for the compute', async () => {
    const soft = createManualTimers();
    const { cache } = setup({ schedule: soft.schedule });
    const slow = gated();
    const read = cache.getOrCompute(key, slow.compute, { policy });
    await settle();
    expect(soft.pending).toBe(0);
    slow.resolve('cold');
    expect(await read).toMatchObject({ status: 'MISS', value: 'cold' });
  });

  it('cancels its timer when the compute answers first', async () => {
    const soft = createManualTimers();
    const { clock, cache } = setup({ schedule: soft.schedule });
    await cache.getOrCompute(key, async () => 'good', { policy });
    clock.advance(20_000);
    const slow = gated();
    const read = cache.getOrCompute(key, slow.compute, { policy });
    await settle();
    expect(soft.pending).toBe(1);
    slow.resolve('fresh');
    expect(await read).toMatchObject({ status: 'MISS', value: 'fresh' });
    expect(soft.pending).toBe(0);
  });
});

describe('createTieredCache: last-good copies', () => {
  /** A key that moves with time, as "the last 24 h" does every minute, and its stable last-good key. */
  const minuteKey = (minute: number) => cacheKey('project-1', 'stats', { fn: 'tokens', to: minute });
  const lastGood = cacheKey('project-1', 'stats', { fn: 'tokens', window: 'default' });
  const failing = () => Promise.reject(new Error('db down'));

  it('serves the last good value of a moving key when the compute for its new key fails', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(minuteKey(1), async () => 'minute 1', { policy, lastGood });
    clock.advance(60_000);
    const result = await cache.getOrCompute(minuteKey(2), failing, { policy, lastGood });
    expect(result).toMatchObject({ status: 'STALE-ERROR', value: 'minute 1' });
  });

  it('serves it from L2 to an instance that never computed it', async () => {
    const { clock, kv, cache, background } = setup();
    await cache.getOrCompute(minuteKey(1), async () => 'minute 1', { policy, lastGood });
    await background.drain();
    clock.advance(60_000);
    const other = instance(clock, kv);
    expect(await other.cache.getOrCompute(minuteKey(2), failing, { policy, lastGood })).toMatchObject({ status: 'STALE-ERROR', value: 'minute 1' });
  });

  it('applies the grace window to the last good value', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(minuteKey(1), async () => 'minute 1', { policy, lastGood });
    clock.advance(10_000 + 60_000);
    await expect(cache.getOrCompute(minuteKey(9), failing, { policy, lastGood })).rejects.toBeInstanceOf(CacheUnavailableError);
  });

  it('never answers a 4xx of the compute from the last good value', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(minuteKey(1), async () => 'minute 1', { policy, lastGood });
    clock.advance(60_000);
    const invalid = badRequest('bad_range', 'The range is invalid.');
    await expect(cache.getOrCompute(minuteKey(2), () => Promise.reject(invalid), { policy, lastGood })).rejects.toBe(invalid);
  });

  it('keeps answering fresh computes for each new key while the database answers', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(minuteKey(1), async () => 'minute 1', { policy, lastGood });
    clock.advance(60_000);
    expect(await cache.getOrCompute(minuteKey(2), async () => 'minute 2', { policy, lastGood })).toMatchObject({ status: 'MISS', value: 'minute 2' });
    clock.advance(60_000);
    expect(await cache.getOrCompute(minuteKey(3), failing, { policy, lastGood })).toMatchObject({ status: 'STALE-ERROR', value: 'minute 2' });
  });
});

describe('createTieredCache: coalescing', () => {
  it('runs exactly one compute for 500 concurrent calls on one cold key', async () => {
    const { cache, events } = setup();
    const slow = gated();
    const calls = Array.from({ length: 500 }, () => cache.getOrCompute(key, slow.compute, { policy }));
    await settle();
    slow.resolve('{"n":1}');
    const results = await Promise.all(calls);
    expect(slow.runs()).toBe(1);
    expect(results.every((r) => r.value === '{"n":1}')).toBe(true);
    expect(results.filter((r) => r.status === 'MISS')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'COALESCED')).toHaveLength(499);
    expect(events.filter((e) => e.type === 'coalesced' && e.scope === 'local')).toHaveLength(499);
    expect(cache.stats().inFlight).toBe(0);
  });

  it('shares a compute failure with every joiner and lets the next caller retry', async () => {
    const { cache } = setup();
    const failing = gated();
    const calls = Array.from({ length: 10 }, () => cache.getOrCompute(key, failing.compute, { policy }).catch((e: unknown) => e));
    await settle();
    failing.reject(new Error('db down'));
    const errors = await Promise.all(calls);
    expect(errors.every((e) => e instanceof CacheUnavailableError)).toBe(true);
    expect(failing.runs()).toBe(1);
    expect(await cache.getOrCompute(key, async () => 'ok', { policy })).toMatchObject({ status: 'MISS', value: 'ok' });
  });

  /**
   * Two instances on one KV with the fleet lock. Their `sleep` advances the
   * clock and then waits for `released`, which the test resolves once the
   * first instance is done, so a poll never races the first instance's work.
   */
  function fleet(lockOptions: { ttlMs: number; waitMs: number; pollMs: number }) {
    const clock = createManualClock();
    const kv = createMemoryKv({ now: clock.now });
    const released = deferred<void>();
    let sleeps = 0;
    const sleep = async (ms: number) => {
      sleeps += 1;
      clock.advance(ms);
      await released.promise;
    };
    const a = instance(clock, kv, { fleetLock: lockOptions, sleep });
    const b = instance(clock, kv, { fleetLock: lockOptions, sleep });
    return { kv, a, b, release: () => released.resolve(), sleeps: () => sleeps };
  }

  it('runs exactly one compute between two instances sharing one KV with the fleet lock on', async () => {
    const { kv, a, b, release } = fleet({ ttlMs: 5_000, waitMs: 10_000, pollMs: 25 });
    const slow = gated();
    const first = a.cache.getOrCompute(key, slow.compute, { policy });
    await settle();
    const second = b.cache.getOrCompute(key, slow.compute, { policy });
    await settle();
    slow.resolve('{"shared":true}');
    const ra = await first;
    await a.background.drain(); // the value is in L2 and the lock released
    release();
    const rb = await second;
    await b.background.drain();
    expect(slow.runs()).toBe(1);
    expect(ra.status).toBe('MISS');
    expect(rb).toMatchObject({ status: 'COALESCED', value: '{"shared":true}', etag: ra.etag });
    expect(b.events).toContainEqual({ type: 'coalesced', scope: 'fleet', resource: 'overview' });
    expect(await kv.get(`${key.key}:lock`)).toBeNull();
  });

  it('computes itself once the bounded wait for the lock holder is over', async () => {
    const { a, b, release, sleeps } = fleet({ ttlMs: 60_000, waitMs: 500, pollMs: 50 });
    release(); // polls proceed at once: the holder never finishes
    const stuck = deferred<string>();
    const first = a.cache.getOrCompute(key, () => stuck.promise, { policy }).catch((e: unknown) => e);
    await settle();
    expect(await b.cache.getOrCompute(key, async () => 'mine', { policy })).toMatchObject({ status: 'MISS', value: 'mine' });
    expect(sleeps()).toBe(10);
    stuck.reject(new Error('gave up'));
    await first;
  });

  it('stops waiting as soon as the lock holder lets go without a value', async () => {
    const { a, b, release, sleeps } = fleet({ ttlMs: 60_000, waitMs: 60_000, pollMs: 10 });
    const failing = deferred<string>();
    const first = a.cache.getOrCompute(key, () => failing.promise, { policy }).catch((e: unknown) => e);
    await settle();
    const second = b.cache.getOrCompute(key, async () => 'b', { policy });
    await settle();
    failing.reject(new Error('db down'));
    await first;
    await a.background.drain(); // the lock is released
    release();
    expect(await second).toMatchObject({ status: 'MISS', value: 'b' });
    expect(sleeps()).toBe(1);
  });
});

describe('createTieredCache: KV failures', () => {
  it('never throws because of the KV: a failing KV degrades to L1 and compute, counted', async () => {
    const { cache, kv, events, background } = setup();
    kv.setMode('fail');
    const c = counter();
    expect(await cache.getOrCompute(key, c.compute, { policy })).toMatchObject({ status: 'MISS' });
    expect(await cache.getOrCompute(key, c.compute, { policy })).toMatchObject({ status: 'HIT-L1' });
    await cache.bump(key.project, key.resource);
    await background.drain();
    expect(await cache.getOrCompute(key, c.compute, { policy })).toMatchObject({ status: 'MISS', value: '{"n":2}' });
    expect(events.some((e) => e.type === 'kvError' && e.reason === 'error')).toBe(true);
  });

  it('spends at most its time budget on a KV that hangs', async () => {
    const { cache, kv, events } = setup({ kvTimeoutMs: 5 });
    kv.setMode('hang');
    expect(await cache.getOrCompute(key, async () => 'v', { policy })).toMatchObject({ status: 'MISS', value: 'v' });
    expect(events).toContainEqual({ type: 'kvError', op: 'get', reason: 'timeout' });
    kv.setMode('pass');
  });

  it('opens the circuit after repeated failures, stops calling the KV and logs once', async () => {
    // A check interval of 0 makes every call ask the KV for the generation.
    const { cache, kv, events, logs } = setup({ breaker: { failureThreshold: 3, cooldownMs: 5_000 }, generationCheckMs: 0 });
    kv.setMode('fail');
    for (let i = 0; i < 10; i++) await cache.getOrCompute(cacheKey('p', 'stats', { i }), async () => 'v', { policy });
    expect(cache.stats().circuit).toBe('open');
    const callsWhenOpen = Object.values(kv.calls).reduce((a, b) => a + b, 0);
    await cache.getOrCompute(cacheKey('p', 'stats', { i: 'more' }), async () => 'v', { policy });
    expect(Object.values(kv.calls).reduce((a, b) => a + b, 0)).toBe(callsWhenOpen);
    expect(events).toContainEqual({ type: 'kvError', op: 'get', reason: 'circuit_open' });
    expect(events.filter((e) => e.type === 'circuit')).toEqual([{ type: 'circuit', state: 'open' }]);
    expect(logs.filter((l) => l.startsWith('warn'))).toHaveLength(1);
  });

  it('half-opens after the cooldown and closes when the KV answers again', async () => {
    const { cache, kv, events, clock, logs } = setup({ breaker: { failureThreshold: 2, cooldownMs: 5_000 }, generationCheckMs: 0 });
    kv.setMode('fail');
    for (let i = 0; i < 3; i++) await cache.getOrCompute(cacheKey('p', 'stats', { i }), async () => 'v', { policy });
    expect(cache.stats().circuit).toBe('open');
    kv.setMode('pass');
    clock.advance(5_000);
    await cache.getOrCompute(cacheKey('p', 'stats', { i: 'probe' }), async () => 'v', { policy });
    expect(cache.stats().circuit).toBe('closed');
    expect(events.filter((e) => e.type === 'circuit').map((e) => (e as { state: string }).state)).toEqual([
      'open',
      'half-open',
      'closed',
    ]);
    expect(logs).toHaveLength(3);
  });

  it('treats a corrupt L2 value as a miss and counts it', async () => {
    const { cache, memory, events } = setup();
    await memory.set(key.key, 'garbage without a header');
    expect((await cache.getOrCompute(key, async () => 'v', { policy })).status).toBe('MISS');
    expect(events).toContainEqual({ type: 'skipped', layer: 'l2', reason: 'corrupt', resource: 'overview' });
  });
});

describe('createTieredCache: invalidation by generation', () => {
  it('makes a bump visible on a second instance after generationCheckMs', async () => {
    const { clock, kv, cache, background } = setup({ generationCheckMs: 1_000 });
    const other = instance(clock, kv, { generationCheckMs: 1_000 });
    await cache.getOrCompute(key, async () => 'v1', { policy });
    await background.drain();
    expect((await other.cache.getOrCompute(key, async () => 'never', { policy })).status).toBe('HIT-L2');

    await cache.bump(key.project, key.resource);
    expect(await cache.getOrCompute(key, async () => 'v2', { policy })).toMatchObject({ status: 'MISS', value: 'v2' });
    await background.drain();
    // Inside the check interval the other instance may still serve its copy...
    expect((await other.cache.getOrCompute(key, async () => 'v3', { policy })).value).toBe('v1');
    clock.advance(1_000);
    // ...and after it, never: it takes the writer's new value from L2.
    expect(await other.cache.getOrCompute(key, async () => 'v3', { policy })).toMatchObject({ status: 'HIT-L2', value: 'v2' });
  });

  it('invalidates at once on the writing instance, even with the KV down', async () => {
    const { cache, kv } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    kv.setMode('fail');
    await cache.bump(key.project, key.resource);
    expect(await cache.getOrCompute(key, async () => 'v2', { policy })).toMatchObject({ status: 'MISS', value: 'v2' });
  });

  it('never serves a value whose compute started before a bump, even if it finished after', async () => {
    const { cache } = setup();
    const gate = deferred<string>();
    const inFlight = cache.getOrCompute(key, () => gate.promise, { policy });
    await settle();
    await cache.bump(key.project, key.resource);
    const after = cache.getOrCompute(key, async () => 'after-write', { policy });
    gate.resolve('before-write');
    expect((await inFlight).value).toBe('before-write');
    expect((await after).value).toBe('after-write');
    expect((await cache.getOrCompute(key, async () => 'x', { policy })).value).toBe('after-write');
  });

  it('does not serve a stale copy of an older generation when the compute fails', async () => {
    const { cache } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    await cache.bump(key.project, key.resource);
    await expect(cache.getOrCompute(key, () => Promise.reject(new Error('down')), { policy })).rejects.toBeInstanceOf(
      CacheUnavailableError,
    );
  });

  it('leaves other resources and projects untouched by a bump', async () => {
    const { cache } = setup();
    const stats = cacheKey('project-1', 'stats', {});
    const elsewhere = cacheKey('project-2', 'overview', {});
    for (const k of [stats, elsewhere]) await cache.getOrCompute(k, async () => 'v', { policy });
    await cache.bump('project-1', 'overview');
    for (const k of [stats, elsewhere]) expect((await cache.getOrCompute(k, async () => 'x', { policy })).status).toBe('HIT-L1');
  });
});

describe('createTieredCache: storage', () => {
  it('compresses large bodies in L2 and another instance reads them back exactly', async () => {
    const { clock, kv, memory, cache, background } = setup();
    const body = JSON.stringify({ rows: Array.from({ length: 2_000 }, (_, i) => ({ i, model: 'gpt-4o', ok: i % 3 === 0 })) });
    await cache.getOrCompute(key, async () => body, { policy });
    await background.drain();
    const raw = (await memory.get(key.key))!;
    expect(raw).toContain('"enc":"gzip"');
    expect(raw.length).toBeLessThan(body.length / 4);
    const other = instance(clock, kv);
    expect(await other.cache.getOrCompute(key, async () => 'never', { policy })).toMatchObject({ status: 'HIT-L2', value: body });
  });

  it('keeps L2 values for the TTL plus the grace window', async () => {
    const { clock, memory, cache, background } = setup();
    await cache.getOrCompute(key, async () => 'v', { policy });
    await background.drain();
    clock.advance(policy.ttlMs + policy.graceMs - 1);
    expect(await memory.get(key.key)).not.toBeNull();
    clock.advance(1);
    expect(await memory.get(key.key)).toBeNull();
  });

  it('serves a value too large for L2 but does not store it there', async () => {
    const { cache, memory, events, background } = setup({ maxL2ValueChars: 100, compressMinChars: 1_000_000 });
    const body = 'x'.repeat(500);
    expect((await cache.getOrCompute(key, async () => body, { policy })).value).toBe(body);
    await background.drain();
    expect(await memory.get(key.key)).toBeNull();
    expect(events).toContainEqual({ type: 'skipped', layer: 'l2', reason: 'too_large', resource: 'overview' });
  });

  it('keeps L1 within maxBytes under 100k keys', async () => {
    const maxBytes = 2 * 1024 * 1024;
    const clock = createManualClock();
    const { cache } = instance(clock, null, { maxBytes, maxEntries: 1_000_000 });
    const body = JSON.stringify({ padding: 'x'.repeat(300) });
    for (let i = 0; i < 100_000; i++) {
      await cache.getOrCompute(cacheKey('p', 'runs', { cursor: i }), async () => body, { policy });
    }
    const { l1Bytes, l1Entries } = cache.stats();
    expect(l1Bytes).toBeLessThanOrEqual(maxBytes);
    expect(l1Entries).toBeGreaterThan(1_000);
    expect(l1Entries).toBeLessThan(100_000);
  });

  it('drops one key from both layers on delete', async () => {
    const { cache, memory, background } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    await background.drain();
    await cache.delete(key);
    expect(await memory.get(key.key)).toBeNull();
    expect((await cache.getOrCompute(key, async () => 'v2', { policy })).status).toBe('MISS');
  });
});

describe('createTieredCache: bypass', () => {
  it('skips the cached copies, computes, stores and answers BYPASS', async () => {
    const { cache, events } = setup();
    await cache.getOrCompute(key, async () => 'old', { policy });
    const bypassed = await cache.getOrCompute(key, async () => 'new', { policy, bypass: true });
    expect(bypassed).toMatchObject({ status: 'BYPASS', value: 'new' });
    expect(await cache.getOrCompute(key, async () => 'never', { policy })).toMatchObject({ status: 'HIT-L1', value: 'new' });
    expect(events).toContainEqual({ type: 'bypass', resource: 'overview' });
  });

  it('coalesces concurrent bypasses of one key into one compute', async () => {
    const { cache } = setup();
    const slow = gated();
    const calls = Array.from({ length: 20 }, () => cache.getOrCompute(key, slow.compute, { policy, bypass: true }));
    await settle();
    slow.resolve('fresh');
    expect((await Promise.all(calls)).every((r) => r.status === 'BYPASS')).toBe(true);
    expect(slow.runs()).toBe(1);
  });

  it('answers 503 rather than a stale copy when a bypass compute fails', async () => {
    const { cache } = setup();
    await cache.getOrCompute(key, async () => 'old', { policy });
    await expect(
      cache.getOrCompute(key, () => Promise.reject(new Error('down')), { policy, bypass: true }),
    ).rejects.toBeInstanceOf(CacheUnavailableError);
  });
});

describe('createTieredCache: synchronous peek', () => {
  it('answers from L1 exactly when getOrCompute would answer HIT-L1, with the same body and ETag', async () => {
    const { cache, events } = setup();
    expect(cache.peek(key)).toBeUndefined();
    const stored = await cache.getOrCompute(key, async () => '{"a":1}', { policy });
    const peeked = cache.peek(key);
    expect(peeked).toMatchObject({ value: '{"a":1}', etag: stored.etag, status: 'HIT-L1' });
    expect(outcomes(events).at(-1)).toMatchObject({ type: 'hit', layer: 'l1' });
  });

  it('gives up on a stale copy, leaving the refresh to getOrCompute', async () => {
    const { clock, cache } = setup();
    await cache.getOrCompute(key, async () => 'v1', { policy });
    clock.advance(policy.ttlMs);
    expect(cache.peek(key)).toBeUndefined();
    expect((await cache.getOrCompute(key, async () => 'v2', { policy })).status).toBe('STALE');
  });

  it('gives up when the generation is due for a KV check, and after a bump', async () => {
    const { clock, cache } = setup({ generationCheckMs: 1_000 });
    await cache.getOrCompute(key, async () => 'v1', { policy });
    expect(cache.peek(key)?.value).toBe('v1');
    clock.advance(1_000);
    expect(cache.peek(key)).toBeUndefined();
    expect((await cache.getOrCompute(key, async () => 'never', { policy })).status).toBe('HIT-L1');
    expect(cache.peek(key)?.value).toBe('v1');
    await cache.bump(key.project, key.resource);
    expect(cache.peek(key)).toBeUndefined();
  });

  it('decodes a value once per L1 entry and again once the entry is replaced', async () => {
    const { cache } = setup();
    let decodes = 0;
    const decode = (value: string) => {
      decodes += 1;
      return JSON.parse(value) as { n: number };
    };
    await cache.getOrCompute(key, async () => '{"n":1}', { policy });
    const first = cache.peekDecoded(key, decode);
    expect(cache.peekDecoded(key, decode)).toBe(first);
    expect(first).toEqual({ n: 1 });
    expect(decodes).toBe(1);
    await cache.getOrCompute(key, async () => '{"n":2}', { policy, bypass: true });
    expect(cache.peekDecoded(key, decode)).toEqual({ n: 2 });
    expect(decodes).toBe(2);
  });
});

describe('createTieredCache: options', () => {
  it('refuses invalid options, naming them', () => {
    expect(() => createTieredCache({ kvTimeoutMs: 0 })).toThrow(/kvTimeoutMs/);
    expect(() => createTieredCache({ fleetLock: { waitMs: -1 } })).toThrow(/fleetLock\.waitMs/);
    expect(() => createTieredCache({ maxBytes: 0 })).toThrow(/maxBytes/);
  });

  it('works without a KV, from L1 and compute alone', async () => {
    const clock = createManualClock();
    const { cache } = instance(clock, null);
    expect((await cache.getOrCompute(key, async () => 'v', { policy })).status).toBe('MISS');
    expect((await cache.getOrCompute(key, async () => 'v', { policy })).status).toBe('HIT-L1');
    expect(cache.stats().circuit).toBe('none');
  });
});
