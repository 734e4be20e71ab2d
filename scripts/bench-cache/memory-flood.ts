/**
 * Child process (see child-process.ts) for scenario 5, started with
 * `--expose-gc` (required): writes `keys` distinct keys with small bodies
 * through `services.cache.getOrCompute` of real services (embedded PGlite,
 * in-memory KV as L2, as `npm run dev` builds them).
 *
 * What it measures is retained memory, not garbage: at the idle baseline,
 * after 1k, 2k, 5k, 10k, 20k and 50k keys, every `checkpointEvery` keys and
 * at the end, it drains the background L2 writes, forces a full collection
 * (`settle()`) and only then samples RSS, the heap and the L1 and KV stats.
 * The raw RSS peak, sampled every 1,000 keys without collecting, is reported
 * too, but it includes garbage V8 has not collected yet and varies from run
 * to run by tens of MiB; it is information, not what the scenario checks.
 *
 * The baseline is taken once the process is idle in the sense V8 gives it.
 * After start-up, two heaps hold pages they no longer use: this thread's
 * (about 30 MiB over what is live) and the module loader thread's, where tsx
 * compiled the TypeScript (about 30 MiB more). A forced `gc()` frees objects
 * but keeps those pages; V8's memory reducer returns them after some seconds
 * of idling, and the loader thread's even while this one works, so a baseline
 * taken straight after start-up was 30 to 70 MiB too high and the flood's
 * RSS fell below it. The child therefore idles (a `settle()` a second) until
 * both heaps are within `HEAP_SLACK_BYTES` of their live size (read from the
 * loader thread through a hook registered there, `LOADER_PROBE`), at most
 * `BASELINE_MAX_WAIT_MS`, and says whether it got there. Growth measured from
 * this baseline includes the pages V8 keeps committed while the flood runs.
 *
 * L2 lives in this process (the in-memory KV), so RSS holds the KV's memory
 * as well as L1's. Both are bounded: the KV is built here with
 * `kvMaxBytes` (its default, given explicitly), and the scenario adds that
 * budget to the allowed growth. Against Redis (production), L2's memory is in
 * another process.
 *
 *   node --expose-gc --import tsx scripts/bench-cache/memory-flood.ts '{"keys":1000000,"maxBytes":33554432,"maxEntries":1000000,"kvMaxBytes":33554432}'
 *
 * (Run by hand like this, without the parent's IPC channel, it prints the result as JSON and exits.)
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { CACHE_POLICIES, cacheKey, type TieredCacheStats } from '../../lib/cache/index.js';
import { loadConfig } from '../../lib/config.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import { createMemoryKv, type MemoryKvStats } from '../../lib/kv/index.js';
import { createServices } from '../../lib/services.js';
import { childMain } from './child-process.js';

export interface MemoryFloodOptions {
  /** Distinct keys written. */
  keys: number;
  /** L1 budget given to the cache (TieredCacheOptions.maxBytes), in bytes. */
  maxBytes: number;
  /**
   * L1 entry bound (TieredCacheOptions.maxEntries). The scenario sets it to the
   * number of keys so that the byte budget, not the default 10,000 entries, is
   * what stops L1 from growing.
   */
  maxEntries: number;
  /** Budget of the in-process KV that serves as L2 (MemoryKvOptions.maxBytes), in bytes. */
  kvMaxBytes: number;
  /** Keys between two post-gc checkpoints, besides the early ones and the one at the end. @default min(100_000, keys / 10) */
  checkpointEvery?: number;
}

/** A V8 heap after a full collection: committed (`heapTotal`) and live. */
export interface HeapSample {
  totalBytes: number;
  usedBytes: number;
}

/** Memory after a full collection, `keys` keys into the flood. */
export interface MemoryCheckpoint {
  keys: number;
  /** Seconds since the baseline was taken. */
  atS: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  /** `process.memoryUsage().external`: ArrayBuffers and other memory V8 tracks outside its heap. */
  externalBytes: number;
  /** The module loader thread's heap (tsx's hooks); null when it did not answer. */
  loaderHeap: HeapSample | null;
  l1Entries: number;
  l1Bytes: number;
  kvEntries: number;
  kvBytes: number;
}

export interface MemoryFloodResult {
  keys: number;
  maxBytes: number;
  kvMaxBytes: number;
  checkpointEvery: number;
  /** Post-gc sample straight after start-up, before idling: what the baseline would have been without the wait. */
  startup: MemoryCheckpoint;
  /** Seconds idled before the baseline. */
  baselineWaitS: number;
  /** True when both heaps were within `heapSlackBytes` of their live size at the baseline; false when the wait timed out. */
  baselineSettled: boolean;
  /** `HEAP_SLACK_BYTES`: committed heap over the live heap that counts as settled. */
  heapSlackBytes: number;
  /** Post-gc, idle, before the first write. */
  baseline: MemoryCheckpoint;
  /** Post-gc samples during the flood and at its end, in order. */
  checkpoints: MemoryCheckpoint[];
  /** Largest post-gc RSS over `checkpoints`: the retained memory the scenario checks. */
  retainedRssBytes: number;
  /** Largest L1 byte count over `checkpoints`. */
  maxL1Bytes: number;
  /** Largest RSS sampled every 1,000 keys without collecting: includes garbage, for information. */
  rawPeakRssBytes: number;
  l1: TieredCacheStats;
  kv: MemoryKvStats;
  /** Time spent writing, excluding the checkpoints' collections. */
  seconds: number;
  /** Time spent in the checkpoints (drain, two full gcs, 200 ms of sleep each). */
  checkpointSeconds: number;
  writesPerS: number;
}

const MIB = 1024 * 1024;
/** Committed heap beyond the live heap that still counts as settled; a settled heap here shows 2 to 3 MiB, one fresh from start-up 30 or more. */
const HEAP_SLACK_BYTES = 8 * MIB;
/** Longest idle wait for the baseline; V8's memory reducer acts after about 8 s of idling. */
const BASELINE_MAX_WAIT_MS = 30_000;
/** Post-gc checkpoints taken early in the flood, whatever `checkpointEvery` is: they show L1 and the KV filling up (10,000 entries each). */
const EARLY_CHECKPOINTS = new Set([1_000, 2_000, 5_000, 10_000, 20_000, 50_000]);

/**
 * Module registered in the module loader thread (node:module `register`, where
 * tsx's hooks run): on each message it collects that thread's garbage and
 * answers with its heap, which `process.memoryUsage()` here cannot see.
 */
const LOADER_PROBE = `
import { getHeapStatistics } from 'node:v8';
export function initialize({ port }) {
  port.on('message', () => {
    globalThis.gc?.();
    const heap = getHeapStatistics();
    port.postMessage({ totalBytes: heap.total_heap_size, usedBytes: heap.used_heap_size });
  });
  port.unref();
}`;

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (msDelay: number) => new Promise((resolve) => setTimeout(resolve, msDelay));

/** Collects garbage (twice: finalizers free more on the second pass) and lets the allocator settle. */
async function settle(): Promise<void> {
  gc?.();
  await sleep(100);
  gc?.();
  await sleep(100);
}

/** Registers `LOADER_PROBE`; the returned function collects in the loader thread and reports its heap (null after 2 s without an answer). */
function loaderHeapProbe(): () => Promise<HeapSample | null> {
  const { port1, port2 } = new MessageChannel();
  register(`data:text/javascript,${encodeURIComponent(LOADER_PROBE)}`, { data: { port: port2 }, transferList: [port2] });
  port1.unref();
  return () =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        port1.off('message', answer);
        resolve(null);
      }, 2_000);
      const answer = (heap: HeapSample) => {
        clearTimeout(timer);
        resolve(heap);
      };
      port1.once('message', answer);
      port1.postMessage('gc');
    });
}

childMain(async () => {
  if (gc === undefined) throw new Error('memory flood: run with node --expose-gc; without it the post-gc samples would include garbage');
  const options = JSON.parse(process.argv[2] ?? '{}') as MemoryFloodOptions;
  if (!Number.isSafeInteger(options.keys) || options.keys < 1) throw new RangeError(`memory flood: keys must be a positive integer, got ${options.keys}`);
  const checkpointEvery = options.checkpointEvery ?? Math.max(1_000, Math.min(100_000, Math.ceil(options.keys / 10)));
  const loaderHeap = loaderHeapProbe();
  const kv = createMemoryKv({ maxBytes: options.kvMaxBytes });
  const services = await createServices({
    config: loadConfig({ IRIS_LOG_LEVEL: 'warn' }),
    db: await createPgliteDb({ dataDir: null }),
    kv,
    cache: { maxBytes: options.maxBytes, maxEntries: options.maxEntries },
    local: true,
  });
  const project = crypto.randomUUID();
  const policy = CACHE_POLICIES.runs;

  /** Drains the background L2 writes, collects in both threads, then samples: memory that is retained, not garbage. */
  const checkpoint = async (keys: number, baselineAt?: number): Promise<MemoryCheckpoint> => {
    await services.background.drain();
    const loader = await loaderHeap();
    await settle();
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    const l1 = services.cache.stats();
    const kvStats = kv.stats();
    return {
      keys,
      atS: baselineAt === undefined ? 0 : (performance.now() - baselineAt) / 1000,
      rssBytes: rss,
      heapUsedBytes: heapUsed,
      heapTotalBytes: heapTotal,
      externalBytes: external,
      loaderHeap: loader,
      l1Entries: l1.l1Entries,
      l1Bytes: l1.l1Bytes,
      kvEntries: kvStats.entries,
      kvBytes: kvStats.bytes,
    };
  };
  const settled = (c: MemoryCheckpoint) =>
    c.heapTotalBytes - c.heapUsedBytes <= HEAP_SLACK_BYTES && (c.loaderHeap === null || c.loaderHeap.totalBytes - c.loaderHeap.usedBytes <= HEAP_SLACK_BYTES);

  // The idle baseline: wait until V8 has returned the pages start-up left in both heaps (see the top of the file).
  const waitStarted = performance.now();
  const startup = await checkpoint(0);
  let baseline = startup;
  while (!settled(baseline) && performance.now() - waitStarted < BASELINE_MAX_WAIT_MS) {
    await sleep(800);
    baseline = await checkpoint(0);
  }
  const baselineAt = performance.now();
  const baselineWaitS = (baselineAt - waitStarted) / 1000;

  const checkpoints: MemoryCheckpoint[] = [];
  let rawPeakRssBytes = baseline.rssBytes;
  let checkpointMs = 0;
  const started = performance.now();
  for (let i = 0; i < options.keys; i++) {
    // A distinct small body per key, as real values are.
    const body = `{"items":[{"id":${i},"model":"gpt-4o-mini","tokens":${(i * 7919) % 5000}}],"nextCursor":null}`;
    await services.cache.getOrCompute(cacheKey(project, 'runs', { limit: 50, before: `c${i}` }), async () => body, { policy });
    const written = i + 1;
    if (written % 1_000 === 0) {
      // L2 writes run in the background: let them finish, as a server's idle moments would.
      await services.background.drain();
      rawPeakRssBytes = Math.max(rawPeakRssBytes, process.memoryUsage.rss());
    }
    if (EARLY_CHECKPOINTS.has(written) || written % checkpointEvery === 0 || written === options.keys) {
      const checkpointStarted = performance.now();
      checkpoints.push(await checkpoint(written, baselineAt));
      checkpointMs += performance.now() - checkpointStarted;
    }
  }
  const seconds = (performance.now() - started - checkpointMs) / 1000;
  const result: MemoryFloodResult = {
    keys: options.keys,
    maxBytes: options.maxBytes,
    kvMaxBytes: options.kvMaxBytes,
    checkpointEvery,
    startup,
    baselineWaitS,
    baselineSettled: settled(baseline),
    heapSlackBytes: HEAP_SLACK_BYTES,
    baseline,
    checkpoints,
    retainedRssBytes: Math.max(...checkpoints.map((c) => c.rssBytes)),
    maxL1Bytes: Math.max(...checkpoints.map((c) => c.l1Bytes)),
    rawPeakRssBytes,
    l1: services.cache.stats(),
    kv: kv.stats(),
    seconds,
    checkpointSeconds: checkpointMs / 1000,
    writesPerS: options.keys / seconds,
  };
  if (!process.send) {
    // Run by hand: no parent to send the result to or to ask for the close.
    console.log(JSON.stringify(result, null, 2));
    await services.close();
    process.exit(0);
  }
  return { info: result, close: () => services.close() };
});
