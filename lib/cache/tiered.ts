import { createBackground, type Background } from '../background.js';
import { HttpError } from '../errors.js';
import { etagFor, type XCacheStatus } from '../http-cache/index.js';
import type { KvStore } from '../kv/index.js';
import type { Logger } from '../log.js';
import { createCircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './circuit-breaker.js';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';
import { CacheUnavailableError, SoftTimeoutError } from './errors.js';
import { createGenerations, type GenerationStamp } from './generations.js';
import { createGuardedKv, type GuardedKv } from './guarded-kv.js';
import { generationKey, lockKey, type CacheKey } from './key.js';
import { createMemoryTier, type L1Entry } from './memory-tier.js';
import { NOOP_OBSERVER, safeRecord, type CacheEvent, type CacheObserver } from './observer.js';
import type { CachePolicy } from './policy.js';
import { Singleflight } from './singleflight.js';

/**
 * The KV's time budget: 50 ms per call, and an answer within 1 s is an
 * answer, so only a KV that errs or stays silent for a second counts against
 * the breaker. Measured with `npm run bench:cache -- --only kv` (a healthy
 * Redis behind the REST bridge, 40 connections on 2 cores): see
 * docs/caching.md, "When Redis fails".
 */
export const KV_BUDGET_DEFAULTS = Object.freeze({ timeoutMs: 50, answerDeadlineMs: 1_000 });

/** The fleet stampede lock: one instance computes a cold key, the others wait for its value in L2. */
export interface FleetLockOptions {
  /** Lifetime of the lock in ms: longer than a slow compute, short enough to survive a crashed holder. @default 5_000 */
  ttlMs?: number;
  /** Longest an instance waits for the holder's value before computing itself, in ms. @default 1_000 */
  waitMs?: number;
  /** Interval between two L2 polls while waiting, in ms. @default 25 */
  pollMs?: number;
}

export interface TieredCacheOptions {
  /** The shared L2. Omit for an L1-only cache (no fleet sharing or invalidation). @default none */
  kv?: KvStore | null;
  /** Clock in epoch ms for lifetimes and the circuit breaker; tests inject one. @default Date.now */
  now?: () => number;
  /** Runs background refreshes and L2 writes; tests `drain()` it. @default createBackground() */
  background?: Background;
  /** Receives typed events for metrics. @default NOOP_OBSERVER */
  observer?: CacheObserver;
  /** Logs circuit state changes (once per change). @default silent */
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Most L1 entries. @default 10_000 */
  maxEntries?: number;
  /** L1 memory budget in bytes (2 bytes per UTF-16 code unit plus overhead per entry). @default 33_554_432 (32 MiB) */
  maxBytes?: number;
  /** Largest L1 entry in bytes; larger values are served but not kept in L1. @default maxBytes / 16 */
  maxEntryBytes?: number;
  /** Largest encoded L2 value in UTF-16 code units (after compression); larger values skip L2. @default 1_048_576 */
  maxL2ValueChars?: number;
  /** Bodies at least this long (UTF-16 code units) are gzip-compressed in L2. @default 1024 */
  compressMinChars?: number;
  /**
   * Time budget of every KV call in ms, enforced by the cache whatever the
   * store does: past it the read goes on without the KV (docs/caching.md,
   * "When Redis fails").
   * @default KV_BUDGET_DEFAULTS.timeoutMs (50)
   */
  kvTimeoutMs?: number;
  /**
   * How long after its start a KV call the cache stopped waiting for may still
   * be answered before the breaker counts it as a failure, in ms (at least
   * `kvTimeoutMs`); an answer in between is a slow call, which says the KV is
   * up. The store's own timeout must not be shorter, or it would give up first.
   * @default KV_BUDGET_DEFAULTS.answerDeadlineMs (1_000)
   */
  kvAnswerDeadlineMs?: number;
  /** Circuit breaker around the KV. @default createCircuitBreaker defaults (5 failures in a row, or half, or 90% slow, of 20 calls in 10 s; 5 s cooldown) */
  breaker?: Omit<CircuitBreakerOptions, 'now' | 'onStateChange'>;
  /** How often an instance re-reads a generation counter from the KV, in ms (see generations.ts for the bound). @default 1_000 */
  generationCheckMs?: number;
  /** Most generation records kept; keep it at least the number of (project, resource) groups in L1. @default 10_000 */
  maxGenerations?: number;
  /** Fleet stampede lock; false computes a cold key on each instance that misses it. @default false */
  fleetLock?: FleetLockOptions | false;
  /** Waits while polling for the fleet lock holder's value; tests inject one that advances their clock. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** `Retry-After` of the 503 when no copy is left to serve, in seconds. @default 5 */
  retryAfterS?: number;
  /**
   * Longest a read that holds a copy inside its grace window waits for a load
   * or compute (L2, the fleet lock, the database) before it is answered with
   * that copy (`STALE-ERROR`, counted as stale with reason `timeout`); the
   * compute carries on and fills the cache for later reads. Bounds what the
   * coalesced readers of a warm key wait while the database is slow or going down.
   * @default 1_000
   */
  softTimeoutMs?: number;
  /** Starts the `softTimeoutMs` timer and returns what cancels it; tests inject one they fire by hand. @default setTimeout */
  schedule?: (callback: () => void, ms: number) => () => void;
  /**
   * Whether a compute failure may be answered from a stale copy (or become the
   * 503). Failures it rejects are rethrown unchanged and nothing is served.
   * @default every error except an HttpError below 500 (a 4xx is an answer, not an outage)
   */
  isOutage?: (error: unknown) => boolean;
}

/** Options of one `getOrCompute` call. */
export interface GetOrComputeOptions {
  /** Lifetimes of the value, from `CACHE_POLICIES` or `cachePolicy()`. */
  policy: CachePolicy;
  /** Skip the cached copies (the client sent `Cache-Control: no-cache`): compute, store, answer BYPASS. @default false */
  bypass?: boolean;
  /**
   * A second key the value is also kept under, whose copy is served
   * (`STALE-ERROR`) when the compute fails with no copy of `key` inside its
   * grace window: for keys that move with time, such as a window that ends
   * now, which would otherwise never have a copy to fall back on. Same
   * project and resource as `key`. @default none
   */
  lastGood?: CacheKey;
}

/** Where the time of one `getOrCompute` call went, in ms, for `Server-Timing`. */
export interface CacheTimings {
  /** The whole call. */
  totalMs: number;
  /** KV round trips this call waited for (generation check, L2 read, lock). */
  kvMs: number;
  /** The compute this call ran itself (0 when it joined another or hit). */
  computeMs: number;
}

export interface CacheResult {
  /** The serialised body, to send as is. */
  value: string;
  /** Its strong ETag, stored with it. */
  etag: string;
  /** The `X-Cache` value. */
  status: XCacheStatus;
  /** Time since the value's compute started, in ms (for the `Age` header). */
  ageMs: number;
  timings: CacheTimings;
  /** With STALE-ERROR: the compute failure that the stale copy covered (for a log line). */
  error?: unknown;
}

export interface TieredCacheStats {
  l1Entries: number;
  l1Bytes: number;
  /** Loads and computes in progress. */
  inFlight: number;
  generations: number;
  circuit: CircuitState | 'none';
}

export interface TieredCache {
  /**
   * The cached body for `key`, computing it with `compute` (which returns the
   * serialised body) when no usable copy exists. Order: L1, L2, compute.
   * Never throws because of the KV.
   * @throws CacheUnavailableError (503) when the compute fails with no copy in grace.
   * @throws whatever `compute` threw when `isOutage` rejects it (a 4xx, say).
   */
  getOrCompute(key: CacheKey, compute: () => Promise<string>, options: GetOrComputeOptions): Promise<CacheResult>;
  /**
   * The answer `getOrCompute` would give from L1 (`HIT-L1`), synchronously:
   * the copy is in L1, fresh, and its generation is known without asking the
   * KV. Otherwise undefined, and the caller goes through `getOrCompute` (which
   * also handles stale copies, due generation checks, L2 and computes).
   * Counted as an L1 hit; never touches the KV, never computes.
   */
  peek(key: CacheKey): CacheResult | undefined;
  /**
   * Like `peek`, but hands back `decode(value)`, run once per L1 entry and
   * kept with it (dropped when the entry is evicted, expires or is replaced):
   * for values read on every request, such as API-key lookups.
   */
  peekDecoded<T>(key: CacheKey, decode: (value: string) => T): T | undefined;
  /**
   * Invalidates every value of `(project, resource)`: at once in this
   * instance (even with the KV down), and on every instance within
   * `generationCheckMs` plus one KV round trip. Call it after the write commits.
   */
  bump(project: string, resource: string): Promise<void>;
  /**
   * Drops one key from this instance's L1 and from L2. Other instances keep
   * their L1 copy until its TTL: use `bump` to invalidate across the fleet.
   */
  delete(key: CacheKey): Promise<void>;
  stats(): TieredCacheStats;
}

/** What a load or compute produced, before it is turned into a per-caller result. */
interface Outcome {
  entry: Envelope;
  status: Exclude<XCacheStatus, 'HIT-L1' | 'BYPASS'>;
  /** With COALESCED: whether this instance waited for itself or for another instance's lock holder. */
  scope?: 'local' | 'fleet';
  error?: unknown;
}

type Timing = { kvMs: number; computeMs: number };

/** One `getOrCompute` call as the internals see it. */
interface Read {
  key: CacheKey;
  run: () => Promise<string>;
  policy: CachePolicy;
  /** The generation read before anything else: values must carry it, computes are stamped with it. */
  stamp: GenerationStamp;
  /** Where this call's time goes (a background refresh gets its own). */
  timing: Timing;
  /** Singleflight id: the key under this stamp, so a compute from before a bump is never joined after it. */
  id: string;
  /** See `GetOrComputeOptions.lastGood`. */
  lastGood: CacheKey | undefined;
}

function positive(name: string, value: number, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`TieredCacheOptions.${name} must be a ${allowZero ? 'number >= 0' : 'positive number'}, got ${value}`);
  }
  return value;
}

/** Resources whose L1-hit event object is kept for reuse. */
const MAX_HIT_EVENTS = 64;

const defaultIsOutage = (error: unknown) => !(error instanceof HttpError && error.status < 500);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const defaultSchedule = (callback: () => void, ms: number) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/**
 * Creates the two-tier cache. One per instance, shared by every route.
 * @throws RangeError naming the option when one is invalid.
 * @example
 * const cache = createTieredCache({ kv, background, observer });
 * const r = await cache.getOrCompute(cacheKey(project.id, 'overview', {}), async () =>
 *   JSON.stringify(await loadOverview()), { policy: CACHE_POLICIES.overview });
 */
export function createTieredCache(options: TieredCacheOptions = {}): TieredCache {
  const now = options.now ?? Date.now;
  const background = options.background ?? createBackground();
  const observer = options.observer ?? NOOP_OBSERVER;
  const isOutage = options.isOutage ?? defaultIsOutage;
  const sleep = options.sleep ?? defaultSleep;
  const retryAfterS = positive('retryAfterS', options.retryAfterS ?? 5);
  const maxL2ValueChars = positive('maxL2ValueChars', options.maxL2ValueChars ?? 1024 * 1024);
  const compressMinChars = positive('compressMinChars', options.compressMinChars ?? 1024);
  const kvTimeoutMs = positive('kvTimeoutMs', options.kvTimeoutMs ?? KV_BUDGET_DEFAULTS.timeoutMs);
  const kvAnswerDeadlineMs = positive('kvAnswerDeadlineMs', options.kvAnswerDeadlineMs ?? Math.max(kvTimeoutMs, KV_BUDGET_DEFAULTS.answerDeadlineMs));
  const generationCheckMs = positive('generationCheckMs', options.generationCheckMs ?? 1000, true);
  const softTimeoutMs = positive('softTimeoutMs', options.softTimeoutMs ?? 1000);
  const schedule = options.schedule ?? defaultSchedule;
  const lock =
    options.fleetLock === undefined || options.fleetLock === false
      ? null
      : {
          ttlMs: positive('fleetLock.ttlMs', options.fleetLock.ttlMs ?? 5000),
          waitMs: positive('fleetLock.waitMs', options.fleetLock.waitMs ?? 1000),
          pollMs: positive('fleetLock.pollMs', options.fleetLock.pollMs ?? 25),
        };

  const l1 = createMemoryTier({
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    maxEntryBytes: options.maxEntryBytes,
  });

  const breaker = options.kv
    ? createCircuitBreaker({
        ...options.breaker,
        now,
        onStateChange(state, previous) {
          safeRecord(observer, { type: 'circuit', state });
          const fields = { state, previous, kv: options.kv?.kind };
          if (state === 'open') options.log?.warn('cache KV circuit opened: serving from L1 and compute only', fields);
          else options.log?.info(`cache KV circuit ${state}`, fields);
        },
      })
    : null;
  const kv: GuardedKv | null =
    options.kv && breaker ? createGuardedKv({ kv: options.kv, timeoutMs: kvTimeoutMs, answerDeadlineMs: kvAnswerDeadlineMs, breaker, observer }) : null;

  const generations = createGenerations({
    kv,
    now,
    checkIntervalMs: generationCheckMs,
    maxEntries: positive('maxGenerations', options.maxGenerations ?? 10_000),
  });

  /** Foreground misses: joiners share the leader's L2 read and compute. */
  const loads = new Singleflight<Outcome>();
  /** Computes (and fleet waits), shared by misses and background refreshes: one per key and stamp. */
  const computes = new Singleflight<Outcome>();
  /** BYPASS computes: never joined with cache reads, only with each other. */
  const bypasses = new Singleflight<Outcome>();

  const instanceId = crypto.randomUUID();
  let lockSeq = 0;
  const l1Hits = new Map<string, CacheEvent>();
  /** `peekDecoded` results, held by the L1 entry they were decoded from (weakly: they go when it goes). */
  const decoded = new WeakMap<L1Entry, unknown>();

  /** The L1 entry of `key` when it is fresh and current under a generation known without the KV. */
  function freshInL1(key: CacheKey): L1Entry | undefined {
    const stamp = generations.peek(key.group);
    if (stamp === undefined) return undefined;
    const cached = l1.get(key.key);
    if (cached === undefined || cached.kvGen !== stamp.kvGen || cached.epoch !== stamp.epoch || now() >= cached.freshUntil) return undefined;
    report(key.resource, 'HIT-L1', 'local');
    return cached;
  }

  /** The L1 entry of `key` when it is of the read's generation and inside its grace window. */
  function inGraceInL1(read: Read, key: CacheKey): L1Entry | undefined {
    const cached = l1.get(key.key);
    const current = cached !== undefined && cached.kvGen === read.stamp.kvGen && cached.epoch === read.stamp.epoch;
    return current && now() < cached.graceUntil ? cached : undefined;
  }

  /** The copy under the read's `lastGood` key, from L1 or L2, if one is inside its grace window. */
  async function lastGoodCopy(read: Read): Promise<Envelope | undefined> {
    if (read.lastGood === undefined) return undefined;
    return inGraceInL1(read, read.lastGood) ?? (await readL2({ ...read, key: read.lastGood }));
  }

  async function timedKv<T>(timing: Timing, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await call();
    } finally {
      timing.kvMs += performance.now() - started;
    }
  }

  function keepInL1(read: Read, entry: Envelope): void {
    const stored: L1Entry = { ...entry, kvGen: read.stamp.kvGen, epoch: read.stamp.epoch };
    if (!l1.set(read.key.key, stored)) {
      safeRecord(observer, { type: 'skipped', layer: 'l1', reason: 'too_large', resource: read.key.resource });
    }
  }

  /** The L2 envelope usable under the read's stamp (right generation, inside its grace window), if any. */
  async function readL2(read: Read): Promise<Envelope | undefined> {
    if (!kv || !read.stamp.l2) return undefined;
    const got = await timedKv(read.timing, () => kv.get(read.key.key));
    if (!got.ok || got.value === null) return undefined;
    return usableEnvelope(read, got.value);
  }

  async function usableEnvelope(read: Read, raw: string): Promise<Envelope | undefined> {
    const envelope = await decodeEnvelope(raw);
    if (envelope === null) {
      safeRecord(observer, { type: 'skipped', layer: 'l2', reason: 'corrupt', resource: read.key.resource });
      return undefined;
    }
    return envelope.gen === read.stamp.kvGen && now() < envelope.graceUntil ? envelope : undefined;
  }

  async function writeL2(read: Read, entry: Envelope, store: GuardedKv): Promise<void> {
    const raw = await encodeEnvelope(entry, { compressMinChars });
    if (raw.length > maxL2ValueChars) {
      safeRecord(observer, { type: 'skipped', layer: 'l2', reason: 'too_large', resource: read.key.resource });
      return;
    }
    await store.set(read.key.key, raw, { ttlMs: Math.max(1, entry.graceUntil - now()) });
  }

  /**
   * Polls L2 while another instance holds the lock. Resolves its value once it
   * is there, or undefined when the holder let go without one, the KV fails, or
   * `waitMs` passes: the caller then computes itself.
   */
  async function waitForHolder(read: Read, store: GuardedKv, fleet: Required<FleetLockOptions>): Promise<Envelope | undefined> {
    const deadline = now() + fleet.waitMs;
    while (now() < deadline) {
      await sleep(fleet.pollMs);
      const polled = await timedKv(read.timing, () => store.mget([read.key.key, lockKey(read.key.key)]));
      if (!polled.ok) return undefined;
      const [raw, holder] = polled.value;
      const envelope = raw ? await usableEnvelope(read, raw) : undefined;
      if (envelope && now() < envelope.freshUntil) return envelope;
      if (holder === null || holder === undefined) return undefined;
    }
    return undefined;
  }

  /**
   * Computes the value under the read's stamp and stores it (L1 now, L2 in the
   * background), behind the fleet lock when it is enabled. With `checkL2`, a
   * fresh L2 value (another instance refreshed first) is used instead.
   */
  async function compute(read: Read, mode: { checkL2: boolean; useLock: boolean }): Promise<Outcome> {
    const { key, stamp, policy, timing } = read;
    if (mode.checkL2) {
      const envelope = await readL2(read);
      if (envelope && now() < envelope.freshUntil) {
        keepInL1(read, envelope);
        return { entry: envelope, status: 'HIT-L2' };
      }
    }

    const store = kv && stamp.l2 ? kv : null;
    let owner: string | null = null;
    if (store && lock && mode.useLock) {
      const candidate = `${instanceId}:${++lockSeq}`;
      const taken = await timedKv(timing, () => store.set(lockKey(key.key), candidate, { nx: true, ttlMs: lock.ttlMs }));
      if (taken.ok && taken.value) {
        owner = candidate;
      } else if (taken.ok) {
        const envelope = await waitForHolder(read, store, lock);
        if (envelope) {
          keepInL1(read, envelope);
          return { entry: envelope, status: 'COALESCED', scope: 'fleet' };
        }
      }
    }
    const release = async () => {
      if (store && owner !== null) await store.delIfEquals(lockKey(key.key), owner);
    };

    const startedAt = now();
    const started = performance.now();
    let body: string;
    try {
      body = await read.run();
    } catch (error) {
      if (owner !== null) void background.run('cache:unlock', release());
      throw error;
    } finally {
      timing.computeMs += performance.now() - started;
    }
    const entry: Envelope = {
      body,
      etag: await etagFor(body, key.key),
      storedAt: startedAt,
      freshUntil: startedAt + policy.ttlMs,
      staleUntil: startedAt + policy.ttlMs + policy.staleMs,
      graceUntil: startedAt + policy.ttlMs + policy.graceMs,
      gen: stamp.kvGen ?? 0,
    };
    keepInL1(read, entry);
    const lastGood = read.lastGood === undefined ? undefined : { ...read, key: read.lastGood };
    if (lastGood) keepInL1(lastGood, entry);
    if (store) {
      // The response does not wait for L2; the lock is released only once the value is there for the waiters.
      void background.run(`cache:store:${key.resource}`, writeL2(read, entry, store).finally(release));
      if (lastGood) void background.run(`cache:store:${key.resource}`, writeL2(lastGood, entry, store));
    }
    return { entry, status: 'MISS' };
  }

  const computeShared = (read: Read, checkL2: boolean) => computes.run(read.id, () => compute(read, { checkL2, useLock: true }));

  /** Starts the one background refresh of the read's key unless a compute for it is already running. */
  function refreshInBackground(read: Read): void {
    if (computes.has(read.id)) return;
    const { promise } = computeShared({ ...read, timing: { kvMs: 0, computeMs: 0 } }, true);
    const resource = read.key.resource;
    void background.run(
      `cache:refresh:${resource}`,
      promise.then(
        () => safeRecord(observer, { type: 'refresh', outcome: 'ok', resource }),
        (error: unknown) => {
          safeRecord(observer, { type: 'refresh', outcome: 'error', resource });
          throw error;
        },
      ),
    );
  }

  /**
   * What a failed compute turns into: `fallback` (STALE-ERROR) when the error
   * is an outage and the copy is inside its grace window, otherwise the 503;
   * a non-outage error is rethrown as is.
   */
  function afterFailure(read: Read, error: unknown, fallback: Envelope | undefined): Outcome {
    if (!isOutage(error)) throw error;
    if (fallback && now() < fallback.graceUntil) return { entry: fallback, status: 'STALE-ERROR', error };
    throw new CacheUnavailableError(read.key.resource, retryAfterS, { cause: error });
  }

  /** The leader's path after an L1 miss: L2, then compute, then stale-if-error. */
  async function load(read: Read, l1Fallback: Envelope | undefined): Promise<Outcome> {
    let fallback = l1Fallback;
    const envelope = await readL2(read);
    if (envelope) {
      const t = now();
      if (t < envelope.freshUntil) {
        keepInL1(read, envelope);
        return { entry: envelope, status: 'HIT-L2' };
      }
      if (t < envelope.staleUntil) {
        keepInL1(read, envelope);
        refreshInBackground(read);
        return { entry: envelope, status: 'STALE' };
      }
      if (!fallback || envelope.storedAt > fallback.storedAt) fallback = envelope;
    }

    const { promise, leader } = computeShared(read, false);
    try {
      const outcome = await promise;
      // A load that joined a running refresh waited for its compute: that is coalescing.
      return leader || outcome.status !== 'MISS' ? outcome : { ...outcome, status: 'COALESCED', scope: 'local' };
    } catch (error) {
      if (fallback === undefined && isOutage(error)) fallback = await lastGoodCopy(read);
      return afterFailure(read, error, fallback);
    }
  }

  /**
   * `promise`, unless it takes longer than `softTimeoutMs`: then the copy the
   * caller holds (STALE-ERROR). The load carries on either way.
   */
  function orCopyAfterSoftTimeout(read: Read, promise: Promise<Outcome>, copy: Envelope): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const cancel = schedule(
        () => resolve({ entry: copy, status: 'STALE-ERROR', error: new SoftTimeoutError(read.key.resource, softTimeoutMs) }),
        softTimeoutMs,
      );
      promise.then(
        (outcome) => {
          cancel();
          resolve(outcome);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  async function bypass(read: Read): Promise<Outcome> {
    const { promise } = bypasses.run(read.id, () => compute(read, { checkL2: false, useLock: false }));
    try {
      return await promise;
    } catch (error) {
      return afterFailure(read, error, undefined);
    }
  }

  /** `scope` is where a COALESCED read waited, or `timeout` for a STALE-ERROR served after `softTimeoutMs`. */
  function report(resource: string, status: XCacheStatus, scope: 'local' | 'fleet' | 'timeout'): void {
    switch (status) {
      case 'HIT-L1': {
        // The event of every L1 hit: one frozen object per resource (a small set; a bounded memo).
        let event = l1Hits.get(resource);
        if (event === undefined) {
          event = Object.freeze({ type: 'hit', layer: 'l1', resource } as const);
          if (l1Hits.size < MAX_HIT_EVENTS) l1Hits.set(resource, event);
        }
        return safeRecord(observer, event);
      }
      case 'HIT-L2':
        return safeRecord(observer, { type: 'hit', layer: 'l2', resource });
      case 'MISS':
        return safeRecord(observer, { type: 'miss', resource });
      case 'STALE':
        return safeRecord(observer, { type: 'stale', reason: 'swr', resource });
      case 'STALE-ERROR':
        return safeRecord(observer, { type: 'stale', reason: scope === 'timeout' ? 'timeout' : 'error', resource });
      case 'COALESCED':
        return safeRecord(observer, { type: 'coalesced', scope: scope === 'fleet' ? 'fleet' : 'local', resource });
      case 'BYPASS':
        return safeRecord(observer, { type: 'bypass', resource });
    }
  }

  return {
    async getOrCompute(key, run, callOptions) {
      const started = performance.now();
      const timing: Timing = { kvMs: 0, computeMs: 0 };
      const finish = (entry: Envelope, status: XCacheStatus, scope: 'local' | 'fleet' = 'local', error?: unknown): CacheResult => {
        report(key.resource, status, error instanceof SoftTimeoutError ? 'timeout' : scope);
        const result: CacheResult = {
          value: entry.body,
          etag: entry.etag,
          status,
          ageMs: Math.max(0, now() - entry.storedAt),
          timings: { totalMs: performance.now() - started, ...timing },
        };
        if (error !== undefined) result.error = error;
        return result;
      };

      let stamp = generations.peek(key.group);
      if (stamp === undefined) stamp = await timedKv(timing, () => generations.current(key.group));
      const read: Read = {
        key,
        run,
        policy: callOptions.policy,
        stamp,
        timing,
        id: `${key.key}|${stamp.kvGen}|${stamp.epoch}`,
        lastGood: callOptions.lastGood,
      };

      try {
        if (callOptions.bypass) return finish((await bypass(read)).entry, 'BYPASS');

        let fallback: Envelope | undefined;
        const cached = l1.get(key.key);
        if (cached !== undefined) {
          const t = now();
          const current = cached.kvGen === stamp.kvGen && cached.epoch === stamp.epoch;
          if (current && t < cached.freshUntil) return finish(cached, 'HIT-L1');
          if (current && t < cached.staleUntil) {
            refreshInBackground(read);
            return finish(cached, 'STALE');
          }
          if (current && t < cached.graceUntil) fallback = cached;
          else l1.delete(key.key);
        }
        if (fallback === undefined && read.lastGood !== undefined) fallback = inGraceInL1(read, read.lastGood);

        const { promise, leader } = loads.run(read.id, () => load(read, fallback));
        // A read holding a copy in grace never waits longer than the soft timeout for the load.
        const outcome = await (fallback === undefined ? promise : orCopyAfterSoftTimeout(read, promise, fallback));
        if (!leader && (outcome.status === 'MISS' || outcome.status === 'HIT-L2' || outcome.status === 'COALESCED')) {
          return finish(outcome.entry, 'COALESCED', 'local');
        }
        return finish(outcome.entry, outcome.status, outcome.scope, outcome.error);
      } catch (error) {
        if (error instanceof CacheUnavailableError) safeRecord(observer, { type: 'unavailable', resource: key.resource });
        throw error;
      }
    },

    peek(key) {
      const started = performance.now();
      const entry = freshInL1(key);
      if (entry === undefined) return undefined;
      return {
        value: entry.body,
        etag: entry.etag,
        status: 'HIT-L1',
        ageMs: Math.max(0, now() - entry.storedAt),
        timings: { totalMs: performance.now() - started, kvMs: 0, computeMs: 0 },
      };
    },

    peekDecoded<T>(key: CacheKey, decode: (value: string) => T): T | undefined {
      const entry = freshInL1(key);
      if (entry === undefined) return undefined;
      if (decoded.has(entry)) return decoded.get(entry) as T;
      const value = decode(entry.body);
      decoded.set(entry, value);
      return value;
    },

    bump: (project, resource) => generations.bump(generationKey(project, resource)),

    async delete(key) {
      l1.delete(key.key);
      if (kv) await kv.del(key.key);
    },

    stats() {
      const { entries, bytes } = l1.stats();
      return {
        l1Entries: entries,
        l1Bytes: bytes,
        inFlight: loads.size + computes.size + bypasses.size,
        generations: generations.size,
        circuit: breaker?.state ?? 'none',
      };
    },
  };
}
