import type { RateLimitDecision } from './types.js';

/**
 * Rate-limit response headers: the IETF draft's `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset`, the `X-RateLimit-*` trio older
 * clients read (reset as epoch seconds), and `Retry-After` on a refusal.
 * Written into `into` when given (the request's gathered headers), otherwise
 * into a new object.
 *
 * "Reset" is when the budget can be spent again: on an allowed request the
 * end of the current window; on a refusal the time at which a request will
 * pass (`retryAtMs`), which with a sliding window is later than the window's
 * end. `Retry-After` is that time, rounded up to whole seconds (RFC 9110
 * §10.2.3), so a client that waits it is let through.
 */
export function rateLimitHeaders(decision: RateLimitDecision, nowMs: number, into: Record<string, string> = {}): Record<string, string> {
  const resetAtMs = decision.allowed ? decision.resetAtMs : (decision.retryAtMs ?? decision.resetAtMs);
  const resetS = Math.max(0, Math.ceil((resetAtMs - nowMs) / 1000));
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  into['RateLimit-Limit'] = limit;
  into['RateLimit-Remaining'] = remaining;
  into['RateLimit-Reset'] = String(resetS);
  into['X-RateLimit-Limit'] = limit;
  into['X-RateLimit-Remaining'] = remaining;
  into['X-RateLimit-Reset'] = String(Math.ceil(resetAtMs / 1000));
  if (!decision.allowed) into['Retry-After'] = String(Math.max(1, resetS));
  return into;
}
