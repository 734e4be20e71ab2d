/**
 * Response headers the document declares (components.headers), with the
 * schema of their values. Operations name them; document.ts adds the ones
 * every response of a kind carries.
 */
export interface HeaderSpec {
  description: string;
  schema: { type: 'string'; pattern?: string; enum?: readonly string[] };
}

const integer = { type: 'string', pattern: '^[0-9]+$' } as const;

export const HEADERS = {
  'X-Request-Id': {
    description: "The request id: the caller's X-Request-Id when safe to echo, else a new UUID. Quote it when reporting a problem.",
    schema: { type: 'string' },
  },
  'Cache-Control': { description: 'Authenticated answers are `private` (never `s-maxage`); writes and errors `no-store`.', schema: { type: 'string' } },
  Vary: { description: '`Authorization` on authenticated routes (and `Origin` with CORS).', schema: { type: 'string' } },
  'RateLimit-Limit': { description: 'Requests the budget allows per window.', schema: integer },
  'RateLimit-Remaining': { description: 'Requests left in the window.', schema: integer },
  'RateLimit-Reset': { description: "Seconds until a request passes again (the window's end while allowed).", schema: integer },
  'X-RateLimit-Limit': { description: 'As RateLimit-Limit, for older clients.', schema: integer },
  'X-RateLimit-Remaining': { description: 'As RateLimit-Remaining, for older clients.', schema: integer },
  'X-RateLimit-Reset': { description: 'When the budget resets, in epoch seconds.', schema: integer },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: integer },
  ETag: { description: 'Strong validator of the answer; send it back in If-None-Match for a 304.', schema: { type: 'string', pattern: '^(W/)?"[^"]*"$' } },
  'X-Cache': {
    description: 'How the read cache answered.',
    schema: { type: 'string', enum: ['HIT-L1', 'HIT-L2', 'MISS', 'STALE', 'STALE-ERROR', 'COALESCED', 'BYPASS'] },
  },
  Age: { description: 'Seconds since the cached value was computed (RFC 9111 §5.1).', schema: integer },
  'Server-Timing': { description: 'auth, cache and db durations in ms.', schema: { type: 'string' } },
  Warning: { description: 'Set when a stale value is served after a failed refresh, or a fleet view is partial.', schema: { type: 'string' } },
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer of an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  Allow: { description: 'The methods the route answers.', schema: { type: 'string' } },
  'WWW-Authenticate': { description: 'The scheme to authenticate with (RFC 9110 §11.6.1).', schema: { type: 'string' } },
} as const satisfies Record<string, HeaderSpec>;

export type HeaderName = keyof typeof HEADERS;

/** Headers every rate-limited answer carries (all but OPTIONS and some failures before the limiter ran). */
export const RATE_LIMIT_HEADERS: readonly HeaderName[] = [
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];
/** Headers of a cached read's 200 and 304 (lib/routes/cached.ts). */
export const CACHE_HEADERS: readonly HeaderName[] = ['ETag', 'X-Cache', 'Age', 'Server-Timing', 'Warning'];
