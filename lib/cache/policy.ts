/**
 * How long each resource is cached: the one place these numbers live.
 *
 * A value's life, measured from when its compute started:
 *
 *   0 ── ttlMs ── fresh: HIT-L1 / HIT-L2
 *         └── + staleMs ── STALE: served at once, one background refresh
 *         └── + graceMs ── kept only as a fallback: the request computes, and
 *                           gets this copy (STALE-ERROR) if the compute fails
 *
 * `graceMs` is counted from the end of the TTL and is at least `staleMs` (a
 * copy good enough to serve while refreshing is good enough when the refresh
 * fails). L2 keeps a value for `ttlMs + graceMs`. Writes bump the generation
 * of the group, which ends all three windows at once, so these numbers only
 * bound staleness from changes that do not bump (for example runs ingested by
 * another project member while the value is fresh).
 */

declare const validated: unique symbol;

/** Lifetimes of one resource's cached values, in ms. Build with `cachePolicy`, which validates. */
export interface CachePolicy {
  /** How long a value is served as fresh. */
  readonly ttlMs: number;
  /** How long past `ttlMs` it is still served at once while one background refresh runs. */
  readonly staleMs: number;
  /** How long past `ttlMs` it may be served when the compute fails (stale-if-error); >= `staleMs`. */
  readonly graceMs: number;
  readonly [validated]: true;
}

/** What `cachePolicy` takes. */
export interface CachePolicyOptions {
  /** Fresh lifetime in ms; > 0. */
  ttlMs: number;
  /** Stale-while-revalidate window after the TTL in ms. @default 0 */
  staleMs?: number;
  /** Stale-if-error window after the TTL in ms; >= staleMs. @default staleMs */
  graceMs?: number;
}

/**
 * A validated, frozen `CachePolicy`: the cache's hot path trusts it without
 * checking again.
 * @throws RangeError naming the field when a duration is invalid.
 */
export function cachePolicy(options: CachePolicyOptions): CachePolicy {
  const { ttlMs } = options;
  const staleMs = options.staleMs ?? 0;
  const graceMs = options.graceMs ?? staleMs;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
  if (!Number.isSafeInteger(staleMs) || staleMs < 0) throw new RangeError(`staleMs must be an integer >= 0, got ${staleMs}`);
  if (!Number.isSafeInteger(graceMs) || graceMs < staleMs) {
    throw new RangeError(`graceMs must be an integer >= staleMs (${staleMs}), got ${graceMs}`);
  }
  return Object.freeze({ ttlMs, staleMs, graceMs }) as CachePolicy;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/**
 * The scope used as the "project" of auth lookups, which are keyed by key hash
 * before any project is known: `cacheKey(AUTH_SCOPE, 'auth', { keyHash })`,
 * and `bump(AUTH_SCOPE, 'auth')` on every revoke or rotate.
 */
export const AUTH_SCOPE = '_keys';

/** The cached resources and their lifetimes. */
export const CACHE_POLICIES = {
  /**
   * Headline numbers: fine to be 30 s behind, and read on every dashboard
   * load. 30 s more of SWR keeps a dashboard that polls every minute instant;
   * 10 minutes of grace ride out a database failover.
   */
  overview: cachePolicy({ ttlMs: 30 * SECOND, staleMs: 30 * SECOND, graceMs: 10 * MINUTE }),
  /** Token and performance aggregates: the most expensive RPCs, over windows of hours to days, so a minute is plenty. */
  stats: cachePolicy({ ttlMs: 60 * SECOND, staleMs: 60 * SECOND, graceMs: 15 * MINUTE }),
  /** Expert signatures change rarely and every change bumps the generation: long TTL, long grace. */
  experts: cachePolicy({ ttlMs: 5 * MINUTE, staleMs: 5 * MINUTE, graceMs: 60 * MINUTE }),
  /** Health reports: written by agents, bumped on write; 30 s bounds what other writers' changes take to show. */
  reports: cachePolicy({ ttlMs: 30 * SECOND, staleMs: 30 * SECOND, graceMs: 10 * MINUTE }),
  /** Reflexions: as reports. */
  reflexions: cachePolicy({ ttlMs: 30 * SECOND, staleMs: 30 * SECOND, graceMs: 10 * MINUTE }),
  /**
   * The recent-runs list is what a user watches while agents run: 5 s TTL and
   * 5 s SWR keep it near live; a short 1-minute grace because an old list of
   * "recent" runs quickly misleads.
   */
  runs: cachePolicy({ ttlMs: 5 * SECOND, staleMs: 5 * SECOND, graceMs: 1 * MINUTE }),
  /**
   * A project's price table (defaults and its overrides): read by every ingest
   * that computes costs, changed only by PUT .../prices, which bumps the
   * generation. A long grace keeps cost computation going through a database
   * failover with the prices it had.
   */
  prices: cachePolicy({ ttlMs: 5 * MINUTE, staleMs: 5 * MINUTE, graceMs: 60 * MINUTE }),
  /**
   * A project's budgets with their spend, read by the budget check before
   * every LLM call. Spend moves with every ingest, which does not bump: the
   * 10 s TTL bounds how far behind the remaining amounts are. A crossed
   * threshold (a hard limit reached, say) and every budget write do bump, so
   * an `allowed` that flips is seen fleet-wide within the generation check.
   * 15 minutes of grace let the check answer by each budget's fail mode
   * through a database outage.
   */
  budgets: cachePolicy({ ttlMs: 10 * SECOND, staleMs: 10 * SECOND, graceMs: 15 * MINUTE }),
  /**
   * Prompts and their versions, fetched by agents before every LLM call.
   * Versions never change; every label move, new version and status change
   * bumps the generation, so a move is seen fleet-wide within the generation
   * check and the TTL only bounds a missed bump (KV down). A long grace keeps
   * agents running on the prompt they had through a database outage.
   */
  prompts: cachePolicy({ ttlMs: 5 * MINUTE, staleMs: 5 * MINUTE, graceMs: 60 * MINUTE }),
  /** Experiment definitions (assignment reads them on every call): as prompts, bumped by every experiment write and label move. */
  experiments: cachePolicy({ ttlMs: 5 * MINUTE, staleMs: 5 * MINUTE, graceMs: 60 * MINUTE }),
  /** Experiment results move with ingest, which does not bump: the overview's 30 s. */
  experimentResults: cachePolicy({ ttlMs: 30 * SECOND, staleMs: 30 * SECOND, graceMs: 10 * MINUTE }),
  /**
   * API-key lookups (key hash -> project): every request needs one. A revoke
   * or rotate bumps the `AUTH_SCOPE` generation, so the TTL only bounds what
   * a missed bump (KV down) can cost. One minute of SWR keeps hot keys off the
   * database; 15 minutes of grace keep authenticated traffic flowing through a
   * database outage (no key can be revoked while the database is down).
   */
  auth: cachePolicy({ ttlMs: 5 * MINUTE, staleMs: 1 * MINUTE, graceMs: 15 * MINUTE }),
} as const satisfies Record<string, CachePolicy>;

/** A resource with a cache policy. */
export type CachedResource = keyof typeof CACHE_POLICIES;
