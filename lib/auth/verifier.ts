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

/** A cached lookup back into the project it describes, frozen because it is shared. */
const decodeProject = (value: string) => deepFreeze(JSON.parse(value) as ProjectContext);

export function createKeyVerifier(options: KeyVerifierOptions): KeyVerifier {
  const { db, cache } = options;

  async function lookup(keyHash: string): Promise<ProjectContext | null> {
    const [row] = await db.rpc('verify_api_key', { p_key_hash: keyHash });
    // The lookup is by hash equality in an index; compare the stored digest
    // again in constant time so no code path branches on partial matches.
    if (!row || !timingSafeEqualString(row.key_hash, keyHash)) return null;
    return { id: row.project_id, name: row.project_name, settings: row.settings, keyId: row.key_id };
  }

  // Cache keys of recent key hashes (never of keys): building one hashes the
  // canonical parameters, which is a noticeable share of a cache hit's work.
  const keys = new Map<string, CacheKey>();
  const keyOf = (keyHash: string): CacheKey => {
    let key = keys.get(keyHash);
    if (key === undefined) {
      key = cacheKey(AUTH_SCOPE, 'auth', { keyHash });
      if (keys.size >= MAX_REMEMBERED_KEYS) keys.clear();
      keys.set(keyHash, key);
    }
    return key;
  };

  return {
    peek(keyHash) {
      return cache?.peekDecoded(keyOf(keyHash), decodeProject);
    },

    async verify(keyHash, verifyOptions = {}) {
      if (!cache) {
        await verifyOptions.beforeDatabase?.();
        return lookup(keyHash);
      }
      const key = keyOf(keyHash);
      const known = cache.peekDecoded(key, decodeProject);
      if (known) return known;
      try {
        const result = await cache.getOrCompute(
          key,
          async () => {
            await verifyOptions.beforeDatabase?.();
            const project = await lookup(keyHash);
            // Unknown keys are not cached: a flood of random keys must not fill the cache or the KV.
            if (!project) throw UNKNOWN;
            return JSON.stringify(project);
          },
          { policy: CACHE_POLICIES.auth },
        );
        return decodeProject(result.value);
      } catch (error) {
        if (error === UNKNOWN) return null;
        throw error;
      }
    },
    async invalidate() {
      await cache?.bump(AUTH_SCOPE, 'auth');
    },
  };
}
