import { LRUCache } from 'lru-cache';
import type { Envelope } from './envelope.js';

/** An L1 entry: the envelope plus the full stamp it was stored under (see generations.ts). */
export interface L1Entry extends Envelope {
  /** Instance-local epoch of the generation record; L1 only. */
  epoch: number;
  /** The KV generation, or null when it was unknown (L1 only; an L2 envelope always has a number). */
  kvGen: number | null;
}

export interface MemoryTierOptions {
  /**
   * Most entries held.
   * @default 10_000
   */
  maxEntries?: number;
  /**
   * Memory budget in bytes, counted as 2 bytes per UTF-16 code unit of key,
   * body and ETag plus `L1_ENTRY_OVERHEAD_BYTES`; the least recently used
   * entries are evicted beyond it.
   * @default 33_554_432 (32 MiB)
   */
  maxBytes?: number;
  /**
   * Largest single entry kept, in bytes as above; a larger one is not stored.
   * @default maxBytes / 16
   */
  maxEntryBytes?: number;
}

/** The in-process tier: an LRU bounded by entry count and bytes. Expiry is decided by the caller from the entry's times. */
export interface MemoryTier {
  get(key: string): L1Entry | undefined;
  /** Stores `entry`; returns false when it is larger than `maxEntryBytes` (any older entry for `key` is dropped then). */
  set(key: string, entry: L1Entry): boolean;
  delete(key: string): void;
  /** Entries held and the bytes they are charged. */
  stats(): { entries: number; bytes: number };
}

/**
 * Fixed cost charged per entry: the entry object and its boxed timestamps, the
 * key and ETag strings' V8 headers, and the LRU's map slot, as measured on
 * Node 20 (scripts/bench-cache-lib.ts). Bodies are charged 2 bytes per code
 * unit although V8 stores ASCII in 1, so large bodies are over-counted: the
 * real heap stays under `maxBytes`.
 */
export const L1_ENTRY_OVERHEAD_BYTES = 512;

export const DEFAULT_L1_MAX_BYTES = 32 * 1024 * 1024;
export const DEFAULT_L1_MAX_ENTRIES = 10_000;

/** Bytes charged for `entry` under `key`, as `MemoryTierOptions.maxBytes` describes. */
export function l1EntryBytes(key: string, entry: Envelope): number {
  return (key.length + entry.body.length + entry.etag.length) * 2 + L1_ENTRY_OVERHEAD_BYTES;
}

function positiveInteger(name: keyof MemoryTierOptions, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** @throws RangeError naming the option when a bound is not a positive integer or maxEntryBytes exceeds maxBytes. */
export function createMemoryTier(options: MemoryTierOptions = {}): MemoryTier {
  const maxEntries = positiveInteger('maxEntries', options.maxEntries ?? DEFAULT_L1_MAX_ENTRIES);
  const maxBytes = positiveInteger('maxBytes', options.maxBytes ?? DEFAULT_L1_MAX_BYTES);
  const maxEntryBytes = positiveInteger('maxEntryBytes', options.maxEntryBytes ?? Math.max(1, Math.floor(maxBytes / 16)));
  if (maxEntryBytes > maxBytes) throw new RangeError(`maxEntryBytes (${maxEntryBytes}) must not exceed maxBytes (${maxBytes})`);

  const lru = new LRUCache<string, L1Entry>({
    max: maxEntries,
    maxSize: maxBytes,
    maxEntrySize: maxEntryBytes,
    sizeCalculation: (entry, key) => l1EntryBytes(key, entry),
  });

  return {
    get: (key) => lru.get(key),
    set(key, entry) {
      if (l1EntryBytes(key, entry) > maxEntryBytes) {
        lru.delete(key);
        return false;
      }
      lru.set(key, entry);
      return true;
    },
    delete: (key) => void lru.delete(key),
    stats: () => ({ entries: lru.size, bytes: lru.calculatedSize }),
  };
}
