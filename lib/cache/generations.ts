import type { GuardedKv } from './guarded-kv.js';

/**
 * Invalidation by generation.
 *
 * Each group `(project, resource)` has a counter in the KV (`iris:v1:gen:<p>:<r>`)
 * that `bump` increments after a write. Values are stamped with the counter
 * read before their compute started, and a reader only uses a value whose stamp
 * equals the generation it currently knows; a bump makes every older value of
 * the group unusable at once, without deleting anything (old L2 values expire
 * by their TTL).
 *
 * Each instance caches the counters it uses and re-reads one at most every
 * `checkIntervalMs`, so a read pays at most one KV round trip per group per
 * interval. Besides the KV counter, every local record carries an `epoch`
 * that is unique within the instance and changes on each local bump and each
 * time a record is (re)created, so:
 * - the writing instance stops serving older L1 values at once, even when the
 *   KV is down (the failed increment is retried on the next check);
 * - a record evicted from this bounded map and created again never revives
 *   L1 values stamped under the evicted one.
 *
 * Visibility bound: a bump whose INCR reached the KV at time T is seen by every
 * read that starts on any instance after T + checkIntervalMs + one KV round
 * trip (the read that re-checks waits for the answer). While the KV is
 * unreachable, other instances cannot learn of bumps: their L1 values then live
 * until their own TTL (and stale window), which bounds staleness in that case.
 */
export interface GenerationsOptions {
  /** Where counters live; null keeps generations local (no L2, no fleet invalidation). */
  kv: GuardedKv | null;
  /** Clock in epoch ms. */
  now: () => number;
  /** How often a known counter is re-read from the KV, in ms. */
  checkIntervalMs: number;
  /**
   * Most `(project, resource)` records kept; beyond it the record least
   * recently checked, bumped or created is dropped (a read that only peeks
   * does not count: every in-use record is re-checked each `checkIntervalMs`
   * when there is a KV). A dropped record's values are never served again.
   */
  maxEntries: number;
}

/** The generation a value is computed under, and that a stored value must carry to be used. */
export interface GenerationStamp {
  /** The KV counter, or null when it could not be read (the L2 is then not trusted). */
  readonly kvGen: number | null;
  /** Instance-local token of the record; changes on every local bump and on re-creation. */
  readonly epoch: number;
  /** Whether L2 values can be trusted under this stamp: the counter is known and no local bump awaits its INCR. */
  readonly l2: boolean;
}

interface GenRecord {
  kvGen: number | null;
  epoch: number;
  checkedAt: number;
  /** A local bump whose INCR failed; retried instead of the next read. */
  pending: boolean;
  /** Local bumps started so far, and those still waiting for their INCR: a re-check overlapping a bump discards what it read. */
  bumps: number;
  bumping: number;
  refreshing: Promise<void> | null;
  /** The last stamp handed out, reused while it still describes the record (every cached read asks). */
  last: GenerationStamp | null;
}

export interface Generations {
  /** The stamp of a group (a `generationKey`) when it is known and not due for a re-check, without waiting. */
  peek(group: string): GenerationStamp | undefined;
  /** The current stamp of a group, re-reading the KV counter first when it is due (one read per group at a time). */
  current(group: string): Promise<GenerationStamp>;
  /** Invalidates the group: at once in this instance, and in the KV for every other instance. */
  bump(group: string): Promise<void>;
  /** Records held. */
  readonly size: number;
}

/** The generation a KV value stands for: a missing key is generation 0. */
function parseGeneration(value: string | null): number | null {
  if (value === null) return 0;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

export function createGenerations(options: GenerationsOptions): Generations {
  const { kv, now, checkIntervalMs } = options;
  // A plain Map in recency order (refreshed by delete and set): peeks, one per
  // cached read, stay a single lookup.
  const records = new Map<string, GenRecord>();
  const { maxEntries } = options;
  const touch = (key: string, record: GenRecord) => {
    records.delete(key);
    records.set(key, record);
    if (records.size > maxEntries) records.delete(records.keys().next().value!);
  };
  let epochs = 0;

  const stamp = (record: GenRecord): GenerationStamp => {
    const l2 = record.kvGen !== null && !record.pending;
    const last = record.last;
    if (last !== null && last.kvGen === record.kvGen && last.epoch === record.epoch && last.l2 === l2) return last;
    return (record.last = { kvGen: record.kvGen, epoch: record.epoch, l2 });
  };

  function recordFor(key: string): GenRecord {
    const record = records.get(key) ?? { kvGen: null, epoch: ++epochs, checkedAt: -Infinity, pending: false, bumps: 0, bumping: 0, refreshing: null, last: null };
    touch(key, record);
    return record;
  }

  const due = (record: GenRecord) => kv !== null && now() - record.checkedAt >= checkIntervalMs;

  async function recheck(key: string, record: GenRecord, store: GuardedKv): Promise<void> {
    if (record.pending) {
      const bumped = await store.incr(key);
      if (bumped.ok) {
        record.kvGen = Math.max(record.kvGen ?? bumped.value, bumped.value);
        record.pending = false;
        record.epoch = ++epochs;
      }
    } else {
      // Only a read that no bump overlapped is sure to see this instance's own
      // INCRs (separate REST calls may be applied in any order): otherwise keep
      // the counter the bump set.
      const bumpsBefore = record.bumps;
      const quiet = record.bumping === 0;
      const read = await store.get(key);
      if (read.ok && quiet && record.bumping === 0 && record.bumps === bumpsBefore) {
        record.kvGen = parseGeneration(read.value);
      }
    }
    // After a failure too: the circuit breaker, not this loop, decides when to try the KV again.
    record.checkedAt = now();
  }

  return {
    peek(group) {
      const record = records.get(group);
      return record === undefined || due(record) ? undefined : stamp(record);
    },

    async current(group) {
      const record = recordFor(group);
      if (kv !== null && due(record)) {
        record.refreshing ??= recheck(group, record, kv).finally(() => {
          record.refreshing = null;
        });
        await record.refreshing;
      }
      return stamp(record);
    },

    async bump(group) {
      const record = recordFor(group);
      // Local invalidation happens before the first await: the writer's next read never sees an older value.
      record.epoch = ++epochs;
      record.bumps += 1;
      if (kv === null) return;
      record.bumping += 1;
      const bumped = await kv.incr(group);
      record.bumping -= 1;
      if (bumped.ok) {
        record.kvGen = Math.max(record.kvGen ?? bumped.value, bumped.value);
        record.pending = false;
        record.checkedAt = now();
      } else {
        record.pending = true;
      }
    },

    get size() {
      return records.size;
    },
  };
}
