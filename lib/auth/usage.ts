import type { Db, Uuid } from '../db/types.js';

/**
 * Per-key usage counters without a database write per request: requests add
 * to an in-memory tally, and at most every `flushIntervalMs` one batch goes to
 * `record_key_usage` as background work. A failed flush puts its counts back so
 * the next one carries them.
 */
export interface KeyUsageOptions {
  db: Db;
  /** Hands a flush to the platform (`Background.run`), so it outlives the response. */
  runInBackground: (label: string, task: () => Promise<unknown>) => void;
  /** Shortest time between two flushes. @default 10_000 */
  flushIntervalMs?: number;
  /** Keys tallied at most between flushes; beyond it a flush starts at once. @default 10_000 */
  maxKeys?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface KeyUsage {
  /** Counts one request made with the key. */
  record(keyId: Uuid): void;
  /** Writes the tally now; resolves when the batch is stored (or put back after a failure). */
  flush(): Promise<void>;
  /** Keys with unflushed counts. */
  readonly pendingKeys: number;
}

export function createKeyUsage(options: KeyUsageOptions): KeyUsage {
  const interval = options.flushIntervalMs ?? 10_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const now = options.now ?? Date.now;
  let tally = new Map<Uuid, { count: number; lastUsedAt: number }>();
  let lastFlush = now();
  let flushing: Promise<void> | null = null;

  async function flush(): Promise<void> {
    if (flushing) return flushing;
    if (tally.size === 0) return;
    const batch = tally;
    tally = new Map();
    lastFlush = now();
    flushing = (async () => {
      try {
        await options.db.rpc('record_key_usage', {
          p_usage: [...batch].map(([keyId, u]) => ({ key_id: keyId, count: u.count, last_used_at: new Date(u.lastUsedAt).toISOString() })),
        });
      } catch (error) {
        for (const [keyId, u] of batch) {
          if (tally.size >= maxKeys && !tally.has(keyId)) break;
          const current = tally.get(keyId);
          tally.set(keyId, { count: u.count + (current?.count ?? 0), lastUsedAt: Math.max(u.lastUsedAt, current?.lastUsedAt ?? 0) });
        }
        throw error;
      } finally {
        flushing = null;
      }
    })();
    return flushing;
  }

  return {
    record(keyId) {
      const at = now();
      const current = tally.get(keyId);
      if (current) {
        current.count += 1;
        current.lastUsedAt = at;
      } else {
        tally.set(keyId, { count: 1, lastUsedAt: at });
      }
      if (!flushing && (at - lastFlush >= interval || tally.size >= maxKeys)) options.runInBackground('keys.usage.flush', flush);
    },
    flush,
    get pendingKeys() {
      return tally.size;
    },
  };
}
