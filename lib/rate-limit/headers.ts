import type { RateLimitDecision } from './types.js';

/**
 * Rate-limit response headers: the IETF draft's `RateLimit-Limit`,
 * `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window
 * resets), the `X-RateLimit-*` trio older clients read (reset as epoch
 * seconds), and `Retry-After` on a refusal.
 */
export function rateLimitHeaders(decision: RateLimitDecision, nowMs: number): Record<string, string> {
  const resetS = Math.max(0, Math.ceil((decision.resetAtMs - nowMs) / 1000));
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(resetS),
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetAtMs / 1000)),
  };
  if (!decision.allowed) headers['Retry-After'] = String(Math.max(1, resetS));
  return headers;
}
