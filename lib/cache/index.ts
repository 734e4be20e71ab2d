export {
  createTieredCache,
  KV_BUDGET_DEFAULTS,
  type CacheResult,
  type CacheTimings,
  type FleetLockOptions,
  type GetOrComputeOptions,
  type TieredCache,
  type TieredCacheOptions,
  type TieredCacheStats,
} from './tiered.js';
export { cacheKey, canonicalParams, generationKey, KEY_PREFIX, type CacheKey, type CacheParam, type CacheParams } from './key.js';
export { AUTH_SCOPE, CACHE_POLICIES, cachePolicy, type CachedResource, type CachePolicy, type CachePolicyOptions } from './policy.js';
export { CacheUnavailableError, SoftTimeoutError } from './errors.js';
export { NOOP_OBSERVER, type CacheEvent, type CacheLayer, type CacheObserver, type KvFailureReason } from './observer.js';
export {
  createCircuitBreaker,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
} from './circuit-breaker.js';
