/**
 * Test helpers for the cache and anything built on it: a manual clock and a
 * "chaos" KvStore that fails, hangs or counts on demand around a real store.
 * Not exported from index.ts: import `lib/cache/testing.js` from tests only.
 */
import { KvError, type KvOp, type KvStore } from '../kv/index.js';

/** A clock that only moves when told to. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function createManualClock(start = 1_700_000_000_000): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** Timers that fire only when told to, for code that takes a `schedule` option (cache soft timeouts, database budgets). */
export interface ManualTimers {
  /** Matches the `schedule` options: starts a timer, returns what cancels it. */
  schedule(callback: () => void, ms: number): () => void;
  /** Fires every pending timer, or only those started for `ms`. */
  fire(ms?: number): void;
  /** Timers started and neither fired nor cancelled. */
  readonly pending: number;
}

export function createManualTimers(): ManualTimers {
  const timers = new Map<() => void, number>();
  return {
    schedule(callback, ms) {
      const entry = () => callback();
      timers.set(entry, ms);
      return () => timers.delete(entry);
    },
    fire(ms) {
      for (const [entry, duration] of [...timers]) {
        if (ms !== undefined && duration !== ms) continue;
        timers.delete(entry);
        entry();
      }
    },
    get pending() {
      return timers.size;
    },
  };
}

/** What the chaos store does with a call. */
export type ChaosMode = 'pass' | 'fail' | 'hang';

/** A `KvStore` that misbehaves on demand, delegating to `inner` otherwise. */
export interface ChaosKv extends KvStore {
  /**
   * `pass` delegates; `fail` rejects with a `KvError`; `hang` waits until the
   * mode changes back to `pass` (or `fail`), then delegates (or rejects).
   * Only `ops` are affected when given.
   */
  setMode(mode: ChaosMode, ops?: readonly KvOp[]): void;
  /** Makes the next `count` calls fail, then passes again. */
  failNext(count: number): void;
  /** Calls per operation since creation (including failed ones). */
  readonly calls: Readonly<Record<KvOp, number>>;
  /** Calls still hanging. */
  readonly hanging: number;
}

/** Every KvStore method, by its KvOp name (the Record makes tsc name any op added to the port). */
const OP_SET: Record<KvOp, true> = {
  get: true,
  mget: true,
  set: true,
  del: true,
  incr: true,
  append: true,
  pexpire: true,
  delIfEquals: true,
};
const OPS = Object.keys(OP_SET) as KvOp[];

export function createChaosKv(inner: KvStore): ChaosKv {
  let mode: ChaosMode = 'pass';
  let affected: ReadonlySet<KvOp> = new Set(OPS);
  let failures = 0;
  const calls = Object.fromEntries(OPS.map((op) => [op, 0])) as Record<KvOp, number>;
  const waiters = new Set<() => void>();

  const modeFor = (op: KvOp): ChaosMode => (affected.has(op) ? mode : 'pass');

  async function call<T>(op: KvOp, run: () => Promise<T>): Promise<T> {
    calls[op] += 1;
    if (failures > 0) {
      failures -= 1;
      throw new KvError(op, 'error', `chaos: ${op} failed on demand`);
    }
    while (modeFor(op) === 'hang') {
      await new Promise<void>((resolve) => waiters.add(resolve));
    }
    if (modeFor(op) === 'fail') throw new KvError(op, 'error', `chaos: ${op} failed on demand`);
    return run();
  }

  type Method = (...args: unknown[]) => Promise<unknown>;
  const methods = Object.fromEntries(
    OPS.map((op) => [op, (...args: unknown[]) => call(op, () => (inner[op] as Method).apply(inner, args))]),
  ) as unknown as Pick<KvStore, KvOp>;

  return {
    ...methods,
    kind: inner.kind,
    setMode(next, ops = OPS) {
      mode = next;
      affected = new Set(ops);
      for (const wake of [...waiters]) {
        waiters.delete(wake);
        wake();
      }
    },
    failNext(count) {
      failures = count;
    },
    calls,
    get hanging() {
      return waiters.size;
    },
  };
}

/** Lets every pending promise callback run (a few macrotask turns), without waiting on time. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise with its resolve and reject exposed, to hold a compute open. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
