/**
 * What a response says about how it was served: the cache outcome (`X-Cache`,
 * `x-vercel-cache`), the database time (`Server-Timing: db;dur=...`) and, for
 * failures, a short reason. Pure functions.
 */

/** How the cache answered: `bypass` means the client asked it not to read. */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/**
 * Iris's `X-Cache` values (lib/http-cache/x-cache.ts): fresh and stale copies
 * and coalesced waits were served without a compute of their own, so they count
 * as hits. Unknown values starting with HIT (other caches) do too.
 */
function fromXCache(value: string): CacheOutcome | null {
  const v = value.trim().toUpperCase();
  if (v === 'MISS') return 'miss';
  if (v === 'BYPASS') return 'bypass';
  if (v.startsWith('HIT') || v === 'STALE' || v === 'STALE-ERROR' || v === 'COALESCED') return 'hit';
  return null;
}

/** Vercel's edge cache: HIT, STALE and PRERENDER were served from the edge; MISS and REVALIDATED were not. */
function fromVercelCache(value: string): CacheOutcome | null {
  const v = value.trim().toUpperCase();
  if (v === 'HIT' || v === 'STALE' || v === 'PRERENDER') return 'hit';
  if (v === 'MISS' || v === 'REVALIDATED') return 'miss';
  if (v === 'BYPASS') return 'bypass';
  return null;
}

/**
 * The cache outcome of a response from its `X-Cache` and `x-vercel-cache`
 * values: a hit when either cache served it, else a bypass or miss; null when
 * neither header says anything (the response did not go through a cache).
 * @example
 * cacheOutcome('HIT-L2', 'MISS') // 'hit': the edge missed, Iris's L2 served it
 */
export function cacheOutcome(xCache: string | undefined, vercelCache: string | undefined): CacheOutcome | null {
  const a = xCache === undefined ? null : fromXCache(xCache);
  const b = vercelCache === undefined ? null : fromVercelCache(vercelCache);
  if (a === 'hit' || b === 'hit') return 'hit';
  if (a === 'bypass' || b === 'bypass') return 'bypass';
  return a ?? b;
}

/**
 * The `dur` of metric `name` in a `Server-Timing` header (W3C Server Timing),
 * in milliseconds; null when the header or the metric or its duration is absent.
 * @example
 * serverTimingMs('cache;desc="MISS";dur=0.2, db;dur=12.3', 'db') // 12.3
 */
export function serverTimingMs(header: string | undefined, name: string): number | null {
  if (header === undefined) return null;
  for (const entry of header.split(',')) {
    const [metric, ...params] = entry.split(';');
    if (metric?.trim().toLowerCase() !== name) continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'dur') continue;
      const value = Number(param.slice(eq + 1).trim().replace(/^"|"$/g, ''));
      return Number.isFinite(value) && value >= 0 ? value : null;
    }
    return null;
  }
  return null;
}

/**
 * A short, stable reason for a failed request, for grouping: the network
 * error (`timeout`, `ECONNREFUSED`), or the status with Iris's error `code`
 * from the JSON body (`503 service_unavailable`), or the bare status.
 */
export function failureReason(status: number, error: string | null, body: string | null): string {
  if (status === 0) return error ?? 'no_response';
  if (body !== null) {
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown } };
      const code = parsed.error?.code;
      if (typeof code === 'string' && /^[\w.-]{1,64}$/.test(code)) return `${status} ${code}`;
    } catch {
      // Not JSON (or cut short): the status is all we have.
    }
  }
  return String(status);
}
