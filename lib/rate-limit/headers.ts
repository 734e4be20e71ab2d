import type { RateLimitDecision } from './types.js';

/**
 * Rate-limit response headers: the IETF draft's `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window
 * resets), the `X-RateLimit-*` trio older clients read (reset as epoch
 * seconds), and `Retry-After` on a refusal. Written into `into` when given
 * (the request's gathered headers), otherwise into a new object.
 */
export function rateLimitHeaders(decision: RateLimitDecision, nowMs: number, into: Record<string, string> = {}): Record<string, string> {
  const resetS = Math.max(0, Math.ceil((decision.resetAtMs - nowMs) / 1000));
  const limit = String(decision.limit);
  const remaining = String(decision.remaining);
  into['RateLimit-Limit'] = limit;
  into['RateLimit-Remaining'] = remaining;
  into['RateLimit-Reset'] = String(resetS);
  into['X-RateLimit-Limit'] = limit;
  into['X-RateLimit-Remaining'] = remaining;
  into['X-RateLimit-Reset'] = String(Math.ceil(decision.resetAtMs / 1000));
  if (!decision.allowed) into['Retry-After'] = String(Math.max(1, resetS));
  return into;
}
