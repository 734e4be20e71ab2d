/**
 * Response header policy, as pure functions.
 *
 * Authenticated responses must never be stored by a shared cache: they carry
 * `private` and `Vary: Authorization` (RFC 9111 §5.2.2.7, RFC 9110 §12.5.5) and
 * never `s-maxage` or a CDN-Cache-Control header.
 */

/** Sent on every response. The CSP is for a JSON API: nothing may load, nothing may frame it. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
});

/** Cache-Control for an authenticated read that a browser may keep but must revalidate. */
export const PRIVATE_NO_CACHE = 'private, no-cache';
/** Cache-Control for writes and errors. */
export const NO_STORE = 'no-store';

/** Headers a browser may read from a cross-origin response. */
const EXPOSED = [
  'X-Request-Id',
  'ETag',
  'X-Cache',
  'Server-Timing',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Idempotent-Replayed',
].join(', ');

/**
 * CORS headers for `origin` when it is on the allow-list, or null. Never `*`:
 * responses are per API key.
 */
export function corsHeaders(
  origin: string | null,
  allowed: readonly string[],
  preflight: { methods: readonly string[] } | null,
): Record<string, string> | null {
  if (!origin || !allowed.includes(origin)) return null;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Expose-Headers': EXPOSED,
    Vary: 'Origin',
  };
  if (preflight) {
    headers['Access-Control-Allow-Methods'] = preflight.methods.join(', ');
    headers['Access-Control-Allow-Headers'] = 'Authorization, Content-Type, If-None-Match, Cache-Control, X-Request-Id, Idempotency-Key';
    headers['Access-Control-Max-Age'] = '600';
  }
  return headers;
}

/** Adds `value` to a comma-separated header without duplicating it. */
export function appendVary(current: string | null, value: string): string {
  if (!current) return value;
  const parts = current.split(',').map((p) => p.trim().toLowerCase());
  return parts.includes(value.toLowerCase()) ? current : `${current}, ${value}`;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** The caller's `X-Request-Id` when it is safe to echo, otherwise a new UUID. */
export function requestIdFrom(header: string | null): string {
  return header && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}
