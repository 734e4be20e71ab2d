import { KvError, type KvOp, type KvSetOptions, type KvStore } from '../kv/index.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { safeRecord, type CacheObserver, type KvFailureReason } from './observer.js';

/** The answer of a guarded KV call: a value, or why there is none. Never a rejection. */
export type KvOutcome<T> = { ok: true; value: T } | { ok: false; reason: KvFailureReason };

export interface GuardedKvOptions {
  /** The store behind the guard. */
  kv: KvStore;
  /** Time budget of each call in ms, enforced here whatever the store does: past it the caller goes on without the KV. */
  timeoutMs: number;
  /**
   * How long, from its start, a call the caller stopped waiting for may
   * still be answered before the breaker counts it as unanswered (a
   * failure), in ms; at least `timeoutMs`. An answer that comes later than
   * `timeoutMs` but within this is a slow call (`CircuitBreaker.slow`): the
   * KV is up. Equal to `timeoutMs`, every timeout is a failure at once.
   * @default timeoutMs
   */
  answerDeadlineMs?: number;
  /**
   * Starts a timer (the budget, the answer deadline) and returns what cancels
   * it; tests inject one they fire by hand.
   * @default setTimeout / clearTimeout
   */
  schedule?: (callback: () => void, ms: number) => () => void;
  /** Skips the store while open; fed with every call's outcome. */
  breaker: CircuitBreaker;
  /** Receives `kvError` and `kvDuration` events. */
  observer: CacheObserver;
}

/**
 * The KV as the cache uses it: every call is bounded by a time budget, skipped
 * while the circuit is open, timed, and resolves a `KvOutcome` instead of
 * throwing, so no KV failure ever reaches a request.
 *
 * What the breaker hears is how the call really ended, not whether the caller
 * waited for it: an answer within the budget is a success; an answer after
 * it, within `answerDeadlineMs`, is a slow call (the KV is up, this instance
 * was busy or the network slow); an error, or no answer by the deadline, is a
 * failure. So a healthy Redis under load, which answers some calls late,
 * does not open the circuit, while one that is down or frozen does.
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

const defaultSchedule = (callback: () => void, ms: number) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/**
 * Wraps `options.kv` with the budget and the breaker.
 * @throws RangeError naming the option when `answerDeadlineMs` is below `timeoutMs`.
 */
export function createGuardedKv(options: GuardedKvOptions): GuardedKv {
  const { kv, timeoutMs, breaker, observer } = options;
  const answerDeadlineMs = options.answerDeadlineMs ?? timeoutMs;
  const schedule = options.schedule ?? defaultSchedule;
  if (!(answerDeadlineMs >= timeoutMs)) {
    throw new RangeError(`GuardedKvOptions.answerDeadlineMs (${answerDeadlineMs}) must be at least timeoutMs (${timeoutMs})`);
  }

  function fail<T>(op: KvOp, reason: KvFailureReason): KvOutcome<T> {
    safeRecord(observer, { type: 'kvError', op, reason });
    return { ok: false, reason };
  }

  /** Feeds the breaker once a call the caller gave up on is answered (slow), fails, or passes its deadline (failed). */
  function settleLate(pending: Promise<unknown>, waitMs: number): void {
    if (waitMs <= 0) return breaker.failure();
    let settled = false;
    const report = (outcome: 'slow' | 'failed') => {
      if (settled) return;
      settled = true;
      cancel();
      if (outcome === 'slow') breaker.slow();
      else breaker.failure();
    };
    const cancel = schedule(() => report('failed'), waitMs);
    pending.then(
      () => report('slow'),
      () => report('failed'),
    );
  }

  async function call<T>(op: KvOp, run: () => Promise<T>): Promise<KvOutcome<T>> {
    if (!breaker.tryAcquire()) return fail(op, 'circuit_open');
    const started = performance.now();
    let cancelTimer: () => void = () => {};
    let turn: ReturnType<typeof setTimeout> | undefined;
    let pending: Promise<T>;
    try {
      pending = run();
    } catch (error) {
      pending = Promise.reject(error);
    }
    // The store may settle after we gave up on it; its late rejection is expected.
    pending.catch(() => {});
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      // Timers run before the event loop polls for I/O: an answer that arrived while this instance was busy
      // is still unread when the budget's timer fires. One more turn of the loop (a timer started now runs
      // after the next poll) lets it be read before the call is given up on: before this, on 2 cores under
      // 40 connections, 10-17% of calls to a healthy Redis were given up on at 50 ms; with it, about 0.1%.
      cancelTimer = schedule(() => {
        turn = setTimeout(() => resolve(TIMED_OUT), 0);
      }, timeoutMs);
    });
    try {
      const value = await Promise.race([pending, deadline]);
      if (value === TIMED_OUT) {
        settleLate(pending, answerDeadlineMs - (performance.now() - started));
        return fail(op, 'timeout');
      }
      breaker.success();
      return { ok: true, value };
    } catch (error) {
      breaker.failure();
      return fail(op, error instanceof KvError && error.reason === 'timeout' ? 'timeout' : 'error');
    } finally {
      cancelTimer();
      clearTimeout(turn);
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
