import type { KvStore } from '../kv/index.js';
import { mergeSnapshots, type Registry, type Snapshot } from '../metrics/index.js';

/**
 * The fleet view. On Vercel every function instance holds only its own
 * numbers, so each instance publishes a snapshot of its registry to the KV at
 * most every `publishIntervalMs` (through background work, never on the
 * response path), and a fleet read merges every live instance's snapshot.
 *
 * Layout: `iris:v1:metrics:snap:<instance>` holds one instance's snapshot
 * (TTL `snapshotTtlMs`); `iris:v1:metrics:dir:<minute>` lists the instances
 * that published in that minute (Redis APPEND, so concurrent writers never
 * lose each other). A reader looks at this minute's and the previous minute's
 * directory, so it finds every instance that published within `snapshotTtlMs`.
 */
export interface FleetOptions {
  kv: KvStore;
  registry: Registry;
  /** Unique per instance (a random id; never a key or a hostname that identifies a user). */
  instanceId: string;
  /** Shortest time between two publications of this instance. @default 10_000 */
  publishIntervalMs?: number;
  /** How long a published snapshot counts as live. @default 60_000 */
  snapshotTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

export interface Fleet {
  /** Whether a publication is due (cheap and synchronous, for the request path). */
  isDue(): boolean;
  /** Publishes this instance's snapshot when the last publication is older than the interval; resolves false when skipped. */
  publishIfDue(): Promise<boolean>;
  /** Publishes now. */
  publish(): Promise<void>;
  /**
   * Merges the snapshots of every live instance (this one included, fresh).
   * When the KV cannot be read it falls back to this instance alone and says so in `degraded`.
   */
  read(): Promise<{ snapshot: Snapshot; instances: number; degraded?: 'kv_unavailable' }>;
}

const PREFIX = 'iris:v1:metrics';
const WINDOW_MS = 60_000;
const INSTANCE_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createFleet(options: FleetOptions): Fleet {
  const { kv, registry, instanceId } = options;
  if (!INSTANCE_ID.test(instanceId)) throw new TypeError(`FleetOptions.instanceId must match ${INSTANCE_ID}`);
  const interval = options.publishIntervalMs ?? 10_000;
  const ttl = options.snapshotTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  let lastPublished = -Infinity;
  let listedWindow = -1;
  let inFlight: Promise<void> | null = null;

  const snapKey = (id: string) => `${PREFIX}:snap:${id}`;
  const dirKey = (window: number) => `${PREFIX}:dir:${window}`;

  async function publish(): Promise<void> {
    const at = now();
    lastPublished = at;
    await kv.set(snapKey(instanceId), JSON.stringify(registry.snapshot()), { ttlMs: ttl });
    const window = Math.floor(at / WINDOW_MS);
    if (window !== listedWindow) {
      await kv.append(dirKey(window), `${instanceId} `);
      await kv.pexpire(dirKey(window), WINDOW_MS * 3);
      listedWindow = window;
    }
  }

  const isDue = () => inFlight === null && now() - lastPublished >= interval;

  return {
    isDue,
    publishIfDue() {
      if (!isDue()) return Promise.resolve(false);
      inFlight = publish().finally(() => {
        inFlight = null;
      });
      return inFlight.then(() => true);
    },
    publish,
    async read() {
      const window = Math.floor(now() / WINDOW_MS);
      let dirs: (string | null)[];
      try {
        dirs = await kv.mget([dirKey(window), dirKey(window - 1)]);
      } catch {
        return { snapshot: registry.snapshot(), instances: 1, degraded: 'kv_unavailable' as const };
      }
      const ids = new Set(
        dirs
          .join(' ')
          .split(' ')
          .filter((id) => INSTANCE_ID.test(id) && id !== instanceId),
      );
      let values: (string | null)[];
      try {
        values = await kv.mget([...ids].map(snapKey));
      } catch {
        return { snapshot: registry.snapshot(), instances: 1, degraded: 'kv_unavailable' as const };
      }
      const snapshots: Snapshot[] = [registry.snapshot()];
      const oldest = now() - ttl;
      for (const value of values) {
        if (value === null) continue;
        try {
          const snapshot = JSON.parse(value) as Snapshot;
          if (snapshot.timestampMs >= oldest) snapshots.push(snapshot);
        } catch {
          // A torn or foreign value is skipped, not fatal: the fleet view is best effort per instance.
        }
      }
      return { snapshot: mergeSnapshots(snapshots), instances: snapshots.length };
    },
  };
}
