/**
 * When a failed delivery is tried again, as a pure function of the attempt
 * number, the clock and a random number (both injected). The Standard
 * Webhooks spec ("Deliverability and reliability") recommends an exponential
 * backoff with random jitter over a bounded time; Iris's:
 *
 * - the delay after attempt n fails is 30 s × 2^(n−1), at most 4 h, times a
 *   random factor in [0.8, 1.2) so that receivers that failed together are not
 *   retried together;
 * - a `Retry-After` the receiver sent (429, 503) is honoured when longer, up to 4 h;
 * - no attempt is scheduled later than 24 h after the delivery was queued: the
 *   attempt that would be is moved to the 24 h mark, and a failure at or after
 *   it is final; so is the 15th failed attempt.
 *
 * Without jitter that is 0 s, 30 s, 1 m 30 s, 3 m 30 s, 7 m 30 s, 15 m 30 s,
 * 31 m 30 s, 1 h 03 m, 2 h 07 m, 4 h 15 m, 8 h 15 m, 12 h 15 m, 16 h 15 m,
 * 20 h 15 m and 24 h after the first attempt (docs/costs.md has the table).
 */

export interface RetryPolicy {
  /** Delay after the first failed attempt, in ms. @default 30_000 */
  baseDelayMs: number;
  /** Longest delay between two attempts, in ms. @default 14_400_000 (4 h) */
  maxDelayMs: number;
  /** Each delay is multiplied by a random factor in [1 − jitter, 1 + jitter). @default 0.2 */
  jitter: number;
  /** Attempts after which a delivery fails for good. @default 15 */
  maxAttempts: number;
  /** No attempt later than this after the delivery was queued, in ms. @default 86_400_000 (24 h) */
  maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  baseDelayMs: 30_000,
  maxDelayMs: 4 * 3_600_000,
  jitter: 0.2,
  maxAttempts: 15,
  maxAgeMs: 24 * 3_600_000,
});

export interface FailedAttempt {
  /** The attempt that failed, 1 for the first. */
  attempt: number;
  /** When the delivery was queued, in epoch ms. */
  queuedAtMs: number;
  /** Now, in epoch ms. */
  nowMs: number;
  /** A number in [0, 1): `Math.random()` in production, fixed in tests. */
  random: number;
  /** The receiver's `Retry-After`, in ms, when it sent one. */
  retryAfterMs?: number | null;
}

/** The delay after attempt `attempt` fails, before the 24 h bound: exponential, capped, jittered, at least Retry-After. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: number, retryAfterMs?: number | null): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 52));
  const jittered = exponential * (1 - policy.jitter + 2 * policy.jitter * random);
  return Math.round(Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs ?? 0)));
}

/**
 * When to try again, in epoch ms, or null when the delivery has failed for good.
 * @example
 * nextAttemptAt(DEFAULT_RETRY_POLICY, { attempt: 1, queuedAtMs: t, nowMs: t, random: 0.5 }); // t + 30_000
 */
export function nextAttemptAt(policy: RetryPolicy, failed: FailedAttempt): number | null {
  const deadline = failed.queuedAtMs + policy.maxAgeMs;
  if (failed.attempt >= policy.maxAttempts || failed.nowMs >= deadline) return null;
  return Math.min(failed.nowMs + retryDelayMs(policy, failed.attempt, failed.random, failed.retryAfterMs), deadline);
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in ms from `nowMs`: delay-seconds or an HTTP-date; null when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date always names GMT (IMF-fixdate, or the obsolete RFC 850 and asctime forms); Date.parse alone would read '1.5' as a date.
  if (!/^[A-Za-z]{3}[A-Za-z]*,? [ 0-9A-Za-z:-]+ (GMT|\d{4})$/.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
