/**
 * The KV port: the handful of Redis string commands that the two-tier cache
 * (L2 values, stampede locks, generation counters) and the rate limiter need.
 * Two implementations run the same contract suite (`contract.ts`): the
 * embedded in-memory store and Upstash Redis over REST.
 *
 * Values are strings; callers serialise. Strings travel as UTF-8, so a value
 * holding a lone UTF-16 surrogate comes back with U+FFFD in its place.
 * Every method is asynchronous and rejects with a `KvError` when the store
 * fails, and with a `RangeError` when given an invalid TTL.
 */

/** Which implementation is behind a `KvStore`. */
export type KvKind = 'memory' | 'upstash';

/** Options of `KvStore.set`. */
export interface KvSetOptions {
  /**
   * Time to live in milliseconds (fractions round up to the next whole
   * millisecond); must be greater than 0. Without it the key never expires,
   * and an earlier TTL on the key is cleared, as Redis `SET` does.
   */
  ttlMs?: number;
  /**
   * Only set the key when it does not exist (Redis `SET NX`): with `ttlMs`
   * this is the usual lock, `set(lockKey, owner, { nx: true, ttlMs })`.
   */
  nx?: boolean;
}

export interface KvStore {
  /** Which implementation this is, for metrics and logs. */
  readonly kind: KvKind;

  /** The value of `key`, or `null` when it is missing or expired. */
  get(key: string): Promise<string | null>;

  /**
   * The values of `keys`, in the same order, with `null` for each missing or
   * expired key. An empty list resolves to `[]` without a round trip.
   */
  mget(keys: readonly string[]): Promise<(string | null)[]>;

  /**
   * Stores `value` under `key`. Resolves `true` when written and `false` only
   * when `nx` is set and the key already exists (the value is then untouched).
   */
  set(key: string, value: string, options?: KvSetOptions): Promise<boolean>;

  /** Deletes `keys`; resolves how many of them existed. No keys resolves 0. */
  del(...keys: string[]): Promise<number>;

  /**
   * Adds 1 to the integer stored at `key` (a missing key counts as 0) and
   * resolves the new value; an existing TTL is kept (Redis `INCR`). Rejects
   * with a `KvError` when the value is not an integer. Used for generation
   * counters that invalidate whole groups of cache keys at once.
   */
  incr(key: string): Promise<number>;

  /**
   * Appends `value` to the string at `key` (a missing key counts as empty) and
   * resolves the new length in UTF-16 code units for the memory store and in
   * bytes for Redis (Redis `APPEND`); an existing TTL is kept. Atomic, so many
   * writers can add to one list-like key, such as the fleet metrics directory.
   */
  append(key: string, value: string): Promise<number>;

  /**
   * Sets the TTL of an existing key to `ttlMs` from now (Redis `PEXPIRE`).
   * Resolves `false` when the key does not exist.
   */
  pexpire(key: string, ttlMs: number): Promise<boolean>;

  /**
   * Deletes `key` only when its value equals `expected`, atomically; resolves
   * whether it was deleted. Releases a lock taken with `set(..., { nx: true })`
   * without removing a lock that expired and was taken by someone else.
   */
  delIfEquals(key: string, expected: string): Promise<boolean>;
}
