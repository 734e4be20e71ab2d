import type { KvStore, UpstashKv } from '../kv/index.js';
import { createMemoryRateLimiter, type MemoryRateLimiterOptions } from './memory.js';
import { createUpstashRateLimiter } from './upstash.js';
import type { RateLimiter } from './types.js';

export { BoundedMap } from './bounded-map.js';
export { rateLimitHeaders } from './headers.js';
export { createMemoryRateLimiter, type MemoryRateLimiterOptions } from './memory.js';
export { clientIp, DEFAULT_IP_PER_MINUTE, DEFAULT_READS_PER_MINUTE, DEFAULT_WRITES_PER_MINUTE, ruleForIp, ruleForKey } from './policy.js';
export type { RateLimitDecision, RateLimiter, RateLimitReason, RateLimitRule } from './types.js';
export { createUpstashRateLimiter, type UpstashRateLimiterOptions } from './upstash.js';

/** The limiter that matches the KV: fleet-wide on Redis, per instance in memory. */
export function createRateLimiter(kv: KvStore, options: MemoryRateLimiterOptions & { timeoutMs?: number } = {}): RateLimiter {
  if (kv.kind === 'upstash') return createUpstashRateLimiter({ redis: (kv as UpstashKv).redis, timeoutMs: options.timeoutMs });
  return createMemoryRateLimiter(options);
}
