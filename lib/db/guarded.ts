/**
 * The database as requests use it: every call has a time budget and goes
 * through a circuit breaker, so that with Postgres down a request fails in
 * milliseconds instead of queueing for a connection (issue 11: postgres.js
 * with a pool of 5 answered one failing query in 2 ms, but 20 concurrent ones
 * in up to 43 s, while it backed off reconnecting).
 *
 * - Budget: a call that has no answer after `timeoutMs` is aborted (the
 *   adapter cancels the query or the fetch where it can) and rejects with a
 *   `DbError` `timeout`.
 * - Breaker: while it is open, calls are refused without being attempted
 *   (`DbError` `circuit_open`, `mayHaveCommitted: false`); after its cooldown
 *   one call probes the database and its outcome closes or reopens it.
 *   Only calls the database did not answer count as failures (unreachable,
 *   connection lost, no answer in time). An answer, even an error, is a
 *   success: a value Postgres refuses (SQLSTATE 22, 23) or a statement it
 *   cancelled on its own `statement_timeout` proves it is up. A call
 *   cancelled before it was sent (a busy pool) counts for nothing, so a
 *   saturated pool never opens the circuit on a healthy database.
 * - Every unavailable error carries `retryAfterS`: the time until the
 *   breaker's next probe, at least 1 s.
 *
 * Web-standard only (AbortController, setTimeout): runs on Node and Edge.
 */
import type { CircuitBreaker } from '../cache/index.js';
import { DbError } from './errors.js';
import type { Db, RpcArgs, RpcName, RpcOptions, RpcRow } from './types.js';

/** Why a call got no answer from the database. */
export type DbUnavailableReason = 'circuit_open' | 'timeout' | 'connection';

export interface GuardedDbOptions {
  /** The adapter behind the guard (instrumented or not). */
  db: Db;
  /** Refuses calls while the database is known to be down; fed with the outcome of every call it lets through. */
  breaker: CircuitBreaker;
  /**
   * Longest one call may wait for its answer, in ms; then it is aborted and
   * rejects with `DbError` `timeout`.
   * @default 1_500
   */
  timeoutMs?: number;
  /**
   * Starts the budget's timer and returns what cancels it; tests inject one
   * they fire by hand.
   * @default setTimeout / clearTimeout
   */
  schedule?: (callback: () => void, ms: number) => () => void;
  /** Called once for every call the database did not answer, with the reason (for metrics). @default nothing */
  onUnavailable?: (fn: RpcName, reason: DbUnavailableReason) => void;
}

const defaultSchedule = (callback: () => void, ms: number) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

/**
 * Wraps `options.db` with the time budget and the breaker.
 * @throws RangeError naming the option when `timeoutMs` is not a positive number.
 * @example
 * const db = createGuardedDb({ db: adapter, breaker: createCircuitBreaker({ cooldownMs: 2_000 }), timeoutMs: 1_500 });
 */
export function createGuardedDb(options: GuardedDbOptions): Db {
  const { db, breaker } = options;
  const timeoutMs = options.timeoutMs ?? 1_500;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`GuardedDbOptions.timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  const schedule = options.schedule ?? defaultSchedule;
  const onUnavailable = options.onUnavailable ?? (() => {});

  const retryAfterS = () => Math.max(1, Math.ceil(breaker.probeInMs / 1000));

  /** Feeds the breaker with what a failed call says about the database. */
  function settle(error: DbError): void {
    if (!error.unavailable || error.sqlState === '57014') breaker.success();
    else if (error.sqlState === 'timeout' && !error.mayHaveCommitted) breaker.abandon();
    else breaker.failure();
  }

  async function rpc<N extends RpcName>(name: N, args: RpcArgs<N>, callOptions?: RpcOptions): Promise<RpcRow<N>[]> {
    if (!breaker.tryAcquire()) {
      onUnavailable(name, 'circuit_open');
      throw new DbError(name, 'circuit_open', `${name} was not attempted: the database is known to be unavailable`, { retryAfterS: retryAfterS() });
    }
    const controller = new AbortController();
    const callerSignal = callOptions?.signal;
    const abort = () => controller.abort();
    callerSignal?.addEventListener('abort', abort, { once: true });

    let pending: Promise<RpcRow<N>[]>;
    try {
      pending = db.rpc(name, args, { signal: controller.signal });
    } catch (error) {
      pending = Promise.reject(error);
    }
    // The adapter may settle after the budget is spent; its late rejection is expected.
    pending.catch(() => {});
    let cancelTimer: () => void = () => {};
    let cancelFallback: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      cancelTimer = schedule(() => {
        controller.abort();
        // An adapter that can rejects at once on abort, saying whether the call had been sent; one
        // that cannot (PGlite) gets one more turn of the event loop, then the call is given up as sent.
        cancelFallback = setTimeout(
          () => reject(new DbError(name, 'timeout', `${name} had no answer within ${timeoutMs} ms`, { mayHaveCommitted: true })),
          0,
        );
      }, timeoutMs);
    });

    try {
      const rows = await Promise.race([pending, deadline]);
      breaker.success();
      return rows;
    } catch (thrown) {
      const error = thrown instanceof DbError ? thrown : new DbError(name, 'XX000', `${name} failed`, { cause: thrown });
      settle(error);
      const reason = error.unavailableReason;
      if (reason === undefined) throw error;
      onUnavailable(name, reason);
      throw error.withRetryAfter(retryAfterS());
    } finally {
      cancelTimer();
      clearTimeout(cancelFallback);
      callerSignal?.removeEventListener('abort', abort);
    }
  }

  return { kind: db.kind, rpc, close: () => db.close() };
}
