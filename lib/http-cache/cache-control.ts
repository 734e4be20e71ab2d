/**
 * `Cache-Control` (RFC 9111 §5.2) as pure functions: builders for responses,
 * a parser for requests.
 */

/** Options of `privateCacheControl`. */
export interface PrivateCacheControlOptions {
  /** How long the browser may reuse the response without asking, in seconds (`max-age`). */
  maxAgeS: number;
  /**
   * How long past `max-age` the browser may show it while revalidating, in
   * seconds (RFC 5861). 0 leaves the directive out. @default 0
   */
  staleWhileRevalidateS?: number;
}

/** Options of `publicCacheControl`. */
export interface PublicCacheControlOptions extends PrivateCacheControlOptions {
  /** Freshness for shared caches (CDN), in seconds (`s-maxage`). @default omitted */
  sMaxAgeS?: number;
  /** How long past freshness a cache may serve it when the origin fails, in seconds (RFC 5861). @default omitted */
  staleIfErrorS?: number;
}

/** A delta-seconds value: a non-negative integer (fractions are floored). */
function seconds(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  return Math.floor(value);
}

/**
 * `Cache-Control` for an authenticated response: only the caller's browser may
 * keep it. Never `public`, never `s-maxage`: a shared cache must not store a
 * response chosen by the `Authorization` header (RFC 9111 §3.5, §5.2.2.7).
 * @throws RangeError when a duration is negative or not finite.
 * @example
 * privateCacheControl({ maxAgeS: 30, staleWhileRevalidateS: 30 })
 * // 'private, max-age=30, stale-while-revalidate=30'
 */
export function privateCacheControl(options: PrivateCacheControlOptions): string {
  const maxAge = seconds('maxAgeS', options.maxAgeS);
  const swr = seconds('staleWhileRevalidateS', options.staleWhileRevalidateS ?? 0);
  return swr > 0 ? `private, max-age=${maxAge}, stale-while-revalidate=${swr}` : `private, max-age=${maxAge}`;
}

/**
 * `Cache-Control` for an unauthenticated response that any cache may store
 * (health, public documents). Never use it for a per-key response.
 * @throws RangeError when a duration is negative or not finite.
 * @example
 * publicCacheControl({ maxAgeS: 5, sMaxAgeS: 30 }) // 'public, max-age=5, s-maxage=30'
 */
export function publicCacheControl(options: PublicCacheControlOptions): string {
  const parts = ['public', `max-age=${seconds('maxAgeS', options.maxAgeS)}`];
  if (options.sMaxAgeS !== undefined) parts.push(`s-maxage=${seconds('sMaxAgeS', options.sMaxAgeS)}`);
  const swr = seconds('staleWhileRevalidateS', options.staleWhileRevalidateS ?? 0);
  if (swr > 0) parts.push(`stale-while-revalidate=${swr}`);
  if (options.staleIfErrorS !== undefined) parts.push(`stale-if-error=${seconds('staleIfErrorS', options.staleIfErrorS)}`);
  return parts.join(', ');
}

/**
 * The directives of a `Cache-Control` value: names lower-cased, values
 * unquoted (`true` for a directive without a value). The first occurrence of a
 * directive wins; malformed members are skipped.
 */
export function parseCacheControl(header: string | null | undefined): Map<string, string | true> {
  const directives = new Map<string, string | true>();
  if (!header) return directives;
  // Directive values here are tokens or quoted strings without commas in
  // practice; a quoted comma only splits a value we do not act on.
  for (const member of header.split(',')) {
    const eq = member.indexOf('=');
    const name = (eq === -1 ? member : member.slice(0, eq)).trim().toLowerCase();
    if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || directives.has(name)) continue;
    if (eq === -1) {
      directives.set(name, true);
      continue;
    }
    let value = member.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    directives.set(name, value);
  }
  return directives;
}

/** What a request's caching headers ask of the server-side cache. */
export interface RequestCacheDirectives {
  /**
   * The client wants an answer validated with the origin: `Cache-Control:
   * no-cache` or `max-age=0`, or, when `Cache-Control` is absent,
   * `Pragma: no-cache` (RFC 9111 §5.2.1.1, §5.2.1.4, §5.4). Maps to a cache
   * BYPASS: skip the cached copies, compute, store the result.
   */
  revalidate: boolean;
}

/**
 * Reads a request's `Cache-Control` and `Pragma`.
 * @example
 * requestCacheDirectives('no-cache', null) // { revalidate: true }
 */
export function requestCacheDirectives(
  cacheControl: string | null | undefined,
  pragma: string | null | undefined,
): RequestCacheDirectives {
  if (cacheControl && cacheControl.trim() !== '') {
    const directives = parseCacheControl(cacheControl);
    const maxAge = directives.get('max-age');
    return { revalidate: directives.has('no-cache') || (typeof maxAge === 'string' && /^0+$/.test(maxAge)) };
  }
  // Pragma is only honoured when Cache-Control is absent (RFC 9111 §5.4).
  const revalidate = !!pragma && pragma.split(',').some((p) => p.trim().toLowerCase() === 'no-cache');
  return { revalidate };
}
