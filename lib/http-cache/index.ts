export { etagFor } from './etag.js';
export { matchesIfNoneMatch, parseIfNoneMatch, MAX_IF_NONE_MATCH_LENGTH, type EntityTag, type IfNoneMatch } from './if-none-match.js';
export {
  parseCacheControl,
  privateCacheControl,
  publicCacheControl,
  requestCacheDirectives,
  type PrivateCacheControlOptions,
  type PublicCacheControlOptions,
  type RequestCacheDirectives,
} from './cache-control.js';
export { serverTiming, type ServerTimingMetric } from './server-timing.js';
export { isXCacheStatus, X_CACHE_STATUSES, type XCacheStatus } from './x-cache.js';
export { cachedResponseHeaders, type CachedResponseHeadersInput } from './headers.js';
