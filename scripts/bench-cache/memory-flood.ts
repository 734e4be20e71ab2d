/**
 * Child process (see child-process.ts) for scenario 5, started with
 * `--expose-gc` when available: writes `keys` distinct keys with small bodies
 * through `services.cache.getOrCompute` of real services (embedded PGlite,
 * in-memory KV as L2, as `npm run dev` builds them) and reports RSS at idle,
 * at its peak and after a full collection, with the L1 and KV stats.
 *
 *   node --expose-gc --import tsx scripts/bench-cache/memory-flood.ts '{"keys":1000000,"maxBytes":33554432}'
 */
import { CACHE_POLICIES, cacheKey, type TieredCacheStats } from '../../lib/cache/index.js';
import { loadConfig } from '../../lib/config.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import { createMemoryKv, type MemoryKvStats } from '../../lib/kv/index.js';
import { createServices } from '../../lib/services.js';
import { childMain } from './child-process.js';

export interface MemoryFloodOptions {
  keys: number;
  /** L1 budget given to the cache (TieredCacheOptions.maxBytes). */
  maxBytes: number;
}

export interface MemoryFloodResult {
  keys: number;
  maxBytes: number;
  gcExposed: boolean;
  baselineRssBytes: number;
  peakRssBytes: number;
  afterGcRssBytes: number;
  baselineHeapBytes: number;
  afterGcHeapBytes: number;
  l1: TieredCacheStats;
  kv: MemoryKvStats;
  seconds: number;
  writesPerS: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));

/** Collects garbage (twice: finalizers free more on the second pass) and lets the allocator settle. */
async function settle(): Promise<void> {
  gc?.();
  await sleep(100);
  gc?.();
  await sleep(100);
}

childMain(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as MemoryFloodOptions;
  const kv = createMemoryKv();
  const services = await createServices({
    config: loadConfig({ IRIS_LOG_LEVEL: 'warn' }),
    db: await createPgliteDb({ dataDir: null }),
    kv,
    cache: { maxBytes: options.maxBytes },
    local: true,
  });
  const project = crypto.randomUUID();
  const policy = CACHE_POLICIES.runs;

  await settle();
  const baselineRssBytes = process.memoryUsage.rss();
  const baselineHeapBytes = process.memoryUsage().heapUsed;
  let peakRssBytes = baselineRssBytes;
  const started = performance.now();
  for (let i = 0; i < options.keys; i++) {
    // A distinct small body per key, as real values are.
    const body = `{"items":[{"id":${i},"model":"gpt-4o-mini","tokens":${(i * 7919) % 5000}}],"nextCursor":null}`;
    await services.cache.getOrCompute(cacheKey(project, 'runs', { limit: 50, before: `c${i}` }), async () => body, { policy });
    if (i % 1_000 === 999) {
      // L2 writes run in the background: let them finish, as a server's idle moments would.
      await services.background.drain();
      peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
    }
  }
  await services.background.drain();
  const seconds = (performance.now() - started) / 1000;
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  const l1 = services.cache.stats();
  await settle();
  const result: MemoryFloodResult = {
    keys: options.keys,
    maxBytes: options.maxBytes,
    gcExposed: gc !== undefined,
    baselineRssBytes,
    peakRssBytes,
    afterGcRssBytes: process.memoryUsage.rss(),
    baselineHeapBytes,
    afterGcHeapBytes: process.memoryUsage().heapUsed,
    l1,
    kv: kv.stats(),
    seconds,
    writesPerS: options.keys / seconds,
  };
  return { info: result, close: () => services.close() };
});
