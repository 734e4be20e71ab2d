import { KvError, type KvOp, type KvSetOptions, type KvStore } from '../kv/index.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { safeRecord, type CacheObserver, type KvFailureReason } from './observer.js';

/** The answer of a guarded KV call: a value, or why there is none. Never a rejection. */
export type KvOutcome<T> = { ok: true; value: T } | { ok: false; reason: KvFailureReason };

export interface GuardedKvOptions {
  /** The store behind the guard. */
  kv: KvStore;
  /** Time budget of each call in ms, enforced here whatever the store does. */
  timeoutMs: number;
  /** Skips the store while open; fed with every call's outcome. */
  breaker: CircuitBreaker;
  /** Receives `kvError` and `kvDuration` events. */
  observer: CacheObserver;
}

/**
 * The KV as the cache uses it: every call is bounded by a time budget, skipped
 * while the circuit is open, timed, and resolves a `KvOutcome` instead of
 * throwing, so no KV failure ever reaches a request.
 */
export interface GuardedKv {
  get(key: string): Promise<KvOutcome<string | null>>;
  mget(keys: readonly string[]): Promise<KvOutcome<(string | null)[]>>;
  set(key: string, value: string, options?: KvSetOptions): Promise<KvOutcome<boolean>>;
  del(key: string): Promise<KvOutcome<number>>;
  incr(key: string): Promise<KvOutcome<number>>;
  delIfEquals(key: string, expected: string): Promise<KvOutcome<boolean>>;
}

const TIMED_OUT = Symbol('timed out');

export function createGuardedKv(options: GuardedKvOptions): GuardedKv {
  const { kv, timeoutMs, breaker, observer } = options;

  function fail<T>(op: KvOp, reason: KvFailureReason): KvOutcome<T> {
    safeRecord(observer, { type: 'kvError', op, reason });
    return { ok: false, reason };
  }

  async function call<T>(op: KvOp, run: () => Promise<T>): Promise<KvOutcome<T>> {
    if (!breaker.tryAcquire()) return fail(op, 'circuit_open');
    const started = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (error) {
      pending = Promise.reject(error);
    }
    // The store may settle after we gave up on it; its late rejection is expected.
    pending.catch(() => {});
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
    });
    try {
      const value = await Promise.race([pending, deadline]);
      if (value === TIMED_OUT) {
        breaker.failure();
        return fail(op, 'timeout');
      }
      breaker.success();
      return { ok: true, value };
    } catch (error) {
      breaker.failure();
      return fail(op, error instanceof KvError && error.reason === 'timeout' ? 'timeout' : 'error');
    } finally {
      clearTimeout(timer);
      safeRecord(observer, { type: 'kvDuration', op, seconds: (performance.now() - started) / 1000 });
    }
  }

  return {
    get: (key) => call('get', () => kv.get(key)),
    mget: (keys) => call('mget', () => kv.mget(keys)),
    set: (key, value, setOptions) => call('set', () => kv.set(key, value, setOptions)),
    del: (key) => call('del', () => kv.del(key)),
    incr: (key) => call('incr', () => kv.incr(key)),
    delIfEquals: (key, expected) => call('delIfEquals', () => kv.delIfEquals(key, expected)),
  };
}
