import { AUTH_SCOPE, CACHE_POLICIES, cacheKey, type CacheKey, type TieredCache } from '../cache/index.js';
import type { Db, Json, Uuid } from '../db/types.js';
import { unauthorized } from '../errors.js';
import { timingSafeEqualString } from './constant-time.js';

/** The tenant an API key belongs to: the only source of a request's project. */
export interface ProjectContext {
  id: Uuid;
  name: string;
  settings: Json;
  keyId: Uuid;
}

export interface KeyVerifierOptions {
  db: Db;
  /**
   * Caches lookups by key hash (never the key) under the `auth` policy. Revoke
   * and rotate bump the auth generation, so every instance drops its copies.
   * @default no cache: every request asks the database
   */
  cache?: TieredCache;
}

/**
 * What a cached lookup holds: the project, and the full SHA-256 of the key it
 * was looked up for. The cache key is a 64-bit non-cryptographic hash of that
 * digest (lib/cache/key.ts), so two keys can share a cache entry; the digest
 * inside is compared in constant time before the project is used (issue 11).
 */
interface CachedLookup {
  project: ProjectContext;
  keyHash: string;
}

export interface VerifyOptions {
  /** Runs before a lookup that has to go to the database (a cache miss), e.g. a per-IP limit that may throw. */
  beforeDatabase?: () => Promise<void>;
}

export interface KeyVerifier {
  /** The project of the key whose SHA-256 hex digest is `keyHash`, or null for unknown and revoked keys. */
  verify(keyHash: string, options?: VerifyOptions): Promise<ProjectContext | null>;
  /**
   * The project of `keyHash` when this instance's cache holds a fresh lookup
   * of it (what `verify` would answer from L1), synchronously; undefined means
   * "ask `verify`". Unknown keys are never cached, so they always go to
   * `verify`. The object is shared by every request of the key: frozen.
   */
  peek(keyHash: string): ProjectContext | undefined;
  /** Makes every instance look keys up again (after a revoke or rotate). */
  invalidate(): Promise<void>;
}

/** Thrown inside the cached compute for an unknown key, so the miss is never cached. */
const UNKNOWN = unauthorized('The API key is unknown or has been revoked.');

/** Cache keys of key hashes remembered at most; past it the memo starts over. */
const MAX_REMEMBERED_KEYS = 10_000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** A cached lookup back into what it holds, frozen because it is shared; anything else (an older format) is no lookup. */
function decodeLookup(value: string): CachedLookup | null {
  const parsed = JSON.parse(value) as Partial<CachedLookup> | null;
  if (typeof parsed?.keyHash !== 'string' || typeof parsed.project !== 'object' || parsed.project === null) return null;
  return deepFreeze(parsed as CachedLookup);
}

/** The project of a cached lookup when it was made for `keyHash`, compared in full and in constant time. */
function projectFor(lookup: CachedLookup | null | undefined, keyHash: string): ProjectContext | undefined {
  return lookup && timingSafeEqualString(lookup.keyHash, keyHash) ? lookup.project : undefined;
}

/**
 * The cache key of the lookup of `keyHash`. `v: 2` is the format that holds the
 * key hash: entries cached before it are never read.
 */
export function authCacheKey(keyHash: string): CacheKey {
  return cacheKey(AUTH_SCOPE, 'auth', { keyHash, v: 2 });
}

export function createKeyVerifier(options: KeyVerifierOptions): KeyVerifier {
  const { db, cache } = options;

  async function lookup(keyHash: string): Promise<CachedLookup | null> {
    const [row] = await db.rpc('verify_api_key', { p_key_hash: keyHash });
    // The lookup is by hash equality in an index; compare the stored digest
    // again in constant time so no code path branches on partial matches.
    if (!row || !timingSafeEqualString(row.key_hash, keyHash)) return null;
    return { project: { id: row.project_id, name: row.project_name, settings: row.settings, keyId: row.key_id }, keyHash: row.key_hash };
  }

  /** The database's answer, bypassing the cache: for a key whose cache entry belongs to another key. */
  async function uncached(keyHash: string, verifyOptions: VerifyOptions): Promise<ProjectContext | null> {
    await verifyOptions.beforeDatabase?.();
    return (await lookup(keyHash))?.project ?? null;
  }

  // Cache keys of recent key hashes (never of keys): building one hashes the
  // canonical parameters, which is a noticeable share of a cache hit's work.
  const keys = new Map<string, CacheKey>();
  const keyOf = (keyHash: string): CacheKey => {
    let key = keys.get(keyHash);
    if (key === undefined) {
      key = authCacheKey(keyHash);
      if (keys.size >= MAX_REMEMBERED_KEYS) keys.clear();
      keys.set(keyHash, key);
    }
    return key;
  };

  return {
    peek(keyHash) {
      return projectFor(cache?.peekDecoded(keyOf(keyHash), decodeLookup), keyHash);
    },

    async verify(keyHash, verifyOptions = {}) {
      if (!cache) return uncached(keyHash, verifyOptions);
      const key = keyOf(keyHash);
      const known = projectFor(cache.peekDecoded(key, decodeLookup), keyHash);
      if (known) return known;
      let value: string;
      try {
        ({ value } = await cache.getOrCompute(
          key,
          async () => {
            await verifyOptions.beforeDatabase?.();
            const found = await lookup(keyHash);
            // Unknown keys are not cached: a flood of random keys must not fill the cache or the KV.
            if (!found) throw UNKNOWN;
            return JSON.stringify(found);
          },
          { policy: CACHE_POLICIES.auth },
        ));
      } catch (error) {
        if (error === UNKNOWN) return null;
        throw error;
      }
      // The entry may be another key's whose hash shares the cache key: then only the database can say.
      return projectFor(decodeLookup(value), keyHash) ?? uncached(keyHash, verifyOptions);
    },
    async invalidate() {
      await cache?.bump(AUTH_SCOPE, 'auth');
    },
  };
}
