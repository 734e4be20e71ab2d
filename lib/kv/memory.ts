import { KvError } from './errors.js';
import { wholeTtlMs } from './ttl.js';
import type { KvSetOptions, KvStore } from './types.js';

export interface MemoryKvOptions {
  /**
   * Most keys held; beyond it the least recently used key is evicted.
   * @default 10_000
   */
  maxEntries?: number;
  /**
   * Memory budget in bytes, counted as 2 bytes per UTF-16 code unit of key and
   * value plus `ENTRY_OVERHEAD_BYTES` per key; beyond it the least recently
   * used keys are evicted. A value that alone exceeds it is refused.
   * @default 33_554_432 (32 MiB)
   */
  maxBytes?: number;
  /**
   * Clock in epoch milliseconds, injected by tests to expire keys without waiting.
   * @default Date.now
   */
  now?: () => number;
}

export interface MemoryKvStats {
  /** Keys held, including expired keys not yet dropped (expiry is lazy). */
  entries: number;
  /** Bytes held, counted as `MemoryKvOptions.maxBytes` describes. */
  bytes: number;
  /** Keys evicted to stay within the bounds since creation. */
  evictions: number;
}

/** The embedded `KvStore`: one process, nothing shared between instances. */
export interface MemoryKv extends KvStore {
  readonly kind: 'memory';
  /** Current occupancy, for metrics. */
  stats(): MemoryKvStats;
}

/** Fixed cost charged per key for the map entry and its bookkeeping. */
export const ENTRY_OVERHEAD_BYTES = 64;

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

// Redis accepts a signed 64-bit integer without sign padding or leading zeros;
// we stop at the safe-integer range because the value travels as a JS number.
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

interface Entry {
  value: string;
  /** Epoch ms at which the key is gone; Infinity when it has no TTL. */
  expiresAt: number;
  bytes: number;
}

function entryBytes(key: string, value: string): number {
  return (key.length + value.length) * 2 + ENTRY_OVERHEAD_BYTES;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`MemoryKvOptions.${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * Creates the in-memory `KvStore`, bounded by key count and bytes with LRU
 * eviction. TTLs expire lazily: an expired key is dropped when next touched or
 * evicted. Runs anywhere (no Node APIs).
 * @throws RangeError naming the option when a bound is not a positive integer.
 * @example
 * const kv = createMemoryKv({ maxEntries: 1_000, maxBytes: 8 * 1024 * 1024 });
 */
export function createMemoryKv(options: MemoryKvOptions = {}): MemoryKv {
  const maxEntries = positiveInteger('maxEntries', options.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const maxBytes = positiveInteger('maxBytes', options.maxBytes ?? DEFAULT_MAX_BYTES);
  const now = options.now ?? Date.now;

  // A Map iterates in insertion order; re-inserting on access keeps the least
  // recently used key first.
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let evictions = 0;

  function remove(key: string, entry: Entry): void {
    entries.delete(key);
    bytes -= entry.bytes;
  }

  /** The live entry for `key`, marked most recently used; drops it when expired. */
  function touch(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      remove(key, entry);
      return undefined;
    }
    entries.delete(key);
    entries.set(key, entry);
    return entry;
  }

  function write(key: string, value: string, expiresAt: number): void {
    const size = entryBytes(key, value);
    const previous = entries.get(key);
    if (previous !== undefined) remove(key, previous);
    entries.set(key, { value, expiresAt, bytes: size });
    bytes += size;
    for (const [oldKey, oldEntry] of entries) {
      if (entries.size <= maxEntries && bytes <= maxBytes) break;
      remove(oldKey, oldEntry);
      evictions += 1;
    }
  }

  function refuseOversized(key: string, value: string): void {
    const size = entryBytes(key, value);
    if (size > maxBytes) {
      throw new KvError('set', 'error', `value of ${size} bytes for "${key}" exceeds maxBytes (${maxBytes})`);
    }
  }

  return {
    kind: 'memory',

    async get(key) {
      return touch(key)?.value ?? null;
    },

    async mget(keys) {
      return keys.map((key) => touch(key)?.value ?? null);
    },

    async set(key: string, value: string, setOptions: KvSetOptions = {}) {
      const expiresAt = setOptions.ttlMs === undefined ? Infinity : now() + wholeTtlMs(setOptions.ttlMs);
      refuseOversized(key, value);
      if (setOptions.nx && touch(key) !== undefined) return false;
      write(key, value, expiresAt);
      return true;
    },

    async del(...keys) {
      let deleted = 0;
      for (const key of keys) {
        const entry = touch(key);
        if (entry === undefined) continue;
        remove(key, entry);
        deleted += 1;
      }
      return deleted;
    },

    async incr(key) {
      const entry = touch(key);
      const current = entry === undefined ? 0 : INTEGER.test(entry.value) ? Number(entry.value) : NaN;
      const next = current + 1;
      if (!Number.isSafeInteger(next)) {
        throw new KvError('incr', 'error', `ERR value is not an integer or out of range (key "${key}")`);
      }
      write(key, String(next), entry?.expiresAt ?? Infinity);
      return next;
    },

    async append(key, value) {
      const entry = touch(key);
      const next = (entry?.value ?? '') + value;
      refuseOversized(key, next);
      write(key, next, entry?.expiresAt ?? Infinity);
      return next.length;
    },

    async pexpire(key, ttlMs) {
      const whole = wholeTtlMs(ttlMs);
      const entry = touch(key);
      if (entry === undefined) return false;
      entry.expiresAt = now() + whole;
      return true;
    },

    async delIfEquals(key, expected) {
      const entry = touch(key);
      if (entry === undefined || entry.value !== expected) return false;
      remove(key, entry);
      return true;
    },

    stats() {
      return { entries: entries.size, bytes, evictions };
    },
  };
}
