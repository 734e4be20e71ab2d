/**
 * Scenario 5: a million distinct keys through L1 (in a child process of its
 * own, with `--expose-gc`; see memory-flood.ts).
 *
 * Checks, on retained memory (RSS sampled after a forced full gc, at the
 * idle baseline, after 1k to 50k keys, every 100,000 keys and at the end;
 * the baseline waits until V8 has returned the heap pages start-up left
 * behind, see memory-flood.ts):
 * - the largest post-gc RSS minus the post-gc baseline stays under the L1
 *   budget (maxBytes, 32 MiB) + 64 MiB, the issue's bound. The flood's L2 is
 *   the in-memory KV in the same process (as `npm run dev` builds the
 *   services), so the growth also holds the KV's own, separately bounded
 *   memory (maxBytes 32 MiB): the check is stricter than the bound asks;
 * - L1's byte count (cache stats) never exceeds maxBytes. L1's entry bound is
 *   raised to the number of keys so that the byte budget is what limits it.
 *
 * The raw RSS peak (every 1,000 keys, no gc) is reported as information: it
 * includes garbage not yet collected and swings by tens of MiB between runs.
 */
import { mib, num, table } from '../../../lib/loadgen/index.js';
import { startChild } from '../child-process.js';
import type { MemoryCheckpoint, MemoryFloodOptions, MemoryFloodResult } from '../memory-flood.js';
import { check, type BenchSettings, type ScenarioReport } from '../report.js';

const MIB = 1024 * 1024;
/** TieredCacheOptions.maxBytes default, given explicitly so the bound below is the one the cache was built with. */
const L1_MAX_BYTES = 32 * MIB;
/** MemoryKvOptions.maxBytes default, given explicitly for the same reason: the L2 of the flood lives in its process. */
const KV_MAX_BYTES = 32 * MIB;
const HEADROOM_BYTES = 64 * MIB;

export async function memoryScenario(s: BenchSettings, keys = 1_000_000): Promise<ScenarioReport> {
  const title = `5. Memory: ${keys.toLocaleString('en')} distinct keys written through L1 (services.cache.getOrCompute, small bodies)`;
  s.progress(`${title}...`);
  const options: MemoryFloodOptions = { keys, maxBytes: L1_MAX_BYTES, maxEntries: keys, kvMaxBytes: KV_MAX_BYTES };
  const child = await startChild<MemoryFloodResult>('scripts/bench-cache/memory-flood.ts', {
    label: 'memory flood',
    args: [JSON.stringify(options)],
    nodeFlags: ['--expose-gc'],
  });
  const r = child.info;
  await child.stop();
  const base = r.baseline;
  const growth = r.retainedRssBytes - base.rssBytes;
  const rawPeakGrowth = r.rawPeakRssBytes - base.rssBytes;
  const bound = r.maxBytes + HEADROOM_BYTES;
  const maxHeap = Math.max(...r.checkpoints.map((c) => c.heapUsedBytes));
  const maxHeapTotal = Math.max(...r.checkpoints.map((c) => c.heapTotalBytes));
  const loaderHeap = (c: MemoryCheckpoint) => (c.loaderHeap ? `${mib(c.loaderHeap.totalBytes)} (${mib(c.loaderHeap.usedBytes)} live)` : 'not read');
  const last = r.checkpoints[r.checkpoints.length - 1]!;
  const n = r.checkpoints.length;
  return {
    id: 'memory',
    title,
    table: table(
      ['Figure', 'Value'],
      [
        ['RSS after gc straight after start-up (not the baseline)', mib(r.startup.rssBytes)],
        [
          'RSS baseline: idle, after gc, start-up heap pages returned',
          `${mib(base.rssBytes)} (after ${r.baselineWaitS.toFixed(1)} s idle${r.baselineSettled ? '' : ', NOT settled'})`,
        ],
        [`retained RSS: max after gc over ${n} checkpoints`, mib(r.retainedRssBytes)],
        ['retained growth over baseline (checked)', mib(growth, true)],
        ['allowed growth: L1 maxBytes + 64 MiB (the in-process KV counted inside it)', `${mib(bound)} (${mib(r.maxBytes)} + ${mib(HEADROOM_BYTES)})`],
        ['raw RSS peak, every 1,000 keys, incl. garbage (not checked)', `${mib(r.rawPeakRssBytes)} (${mib(rawPeakGrowth, true)})`],
        ['heap used: baseline -> max after gc', `${mib(base.heapUsedBytes)} -> ${mib(maxHeap)}`],
        ['heap committed (heapTotal): baseline -> max after gc', `${mib(base.heapTotalBytes)} -> ${mib(maxHeapTotal)}`],
        ['L1: max bytes over checkpoints, of maxBytes', `${mib(r.maxL1Bytes)} of ${mib(r.maxBytes)}`],
        ['L1 at the end: entries, bytes', `${num(r.l1.l1Entries)}, ${mib(r.l1.l1Bytes)}`],
        ['L2 (in-process KV) at the end: keys, bytes of maxBytes', `${num(r.kv.entries)}, ${mib(r.kv.bytes)} of ${mib(r.kvMaxBytes)} (${num(r.kv.evictions)} evictions)`],
        ['writes/s (checkpoints excluded)', `${num(r.writesPerS)} (${r.seconds.toFixed(1)} s + ${r.checkpointSeconds.toFixed(1)} s of checkpoints)`],
      ],
    ),
    notes: [
      `retained memory: at the baseline, after 1k, 2k, 5k, 10k, 20k and 50k keys, every ${num(r.checkpointEvery)} keys and at the end the child drains background L2 writes, runs a full gc twice (--expose-gc), then samples RSS; the check is on the largest of these samples`,
      `post-gc RSS growth by checkpoint (keys, seconds after the baseline): ${r.checkpoints.map((c) => `${num(c.keys / 1000)}k ${c.atS.toFixed(0)} s ${mib(c.rssBytes - base.rssBytes, true)}`).join(', ')}`,
      `baseline: gc() frees objects, but V8 keeps the heap pages start-up used (here and in tsx's module loader thread) until its memory reducer returns them after some seconds idle; ` +
        `the child idled ${r.baselineWaitS.toFixed(1)} s until both heaps were within ${mib(r.heapSlackBytes)} of their live size (main ${mib(r.startup.heapTotalBytes)} -> ${mib(base.heapTotalBytes)} committed, ` +
        `${mib(base.heapUsedBytes)} live; loader thread ${loaderHeap(r.startup)} -> ${loaderHeap(base)}). A baseline taken straight after start-up would have been ${mib(r.startup.rssBytes - base.rssBytes)} higher ` +
        `and the growth understated by as much; measured from the settled baseline, the growth includes the heap V8 keeps committed while the flood runs`,
      ...(r.baselineSettled
        ? []
        : [`the baseline did NOT settle within ${r.baselineWaitS.toFixed(0)} s: V8 still held start-up heap pages, so the growth above may be understated by up to the main heap's ${mib(base.heapTotalBytes - base.heapUsedBytes)} of slack plus the loader thread's`]),
      `L2 is the in-memory KV in the same process (real services: embedded PGlite, as npm run dev builds them), so the growth also holds its own bounded memory (maxBytes ${mib(r.kvMaxBytes)}); ` +
        `the bound is still L1 maxBytes + 64 MiB, so the check is stricter than the issue's bound`,
      `the raw peak is sampled without collecting, so it includes garbage V8 has not collected yet; it varies by tens of MiB between runs and is not a measure of what the cache keeps`,
      `heap used at the end ${mib(last.heapUsedBytes)}, external ${mib(base.externalBytes)} -> ${mib(last.externalBytes)}; L1 stats: ${JSON.stringify(r.l1)}`,
      ...(r.maxL1Bytes < r.maxBytes * 0.9
        ? [`L1 peaked at ${mib(r.maxL1Bytes)} with ${num(r.l1.l1Entries)} entries: its entry bound (TieredCacheOptions.maxEntries), not the byte budget, limited it, so the byte bound was not the one under test`]
        : []),
    ],
    checks: [
      check(`memory: retained RSS growth over the idle baseline, max after gc of ${n} checkpoints (MiB)`, growth / MIB, '<=', bound / MIB, (v) => v.toFixed(1)),
      check(`memory: L1 bytes, max of ${n} checkpoints (MiB)`, r.maxL1Bytes / MIB, '<=', r.maxBytes / MIB, (v) => v.toFixed(1)),
    ],
    data: { ...r, growthBytes: growth, rawPeakGrowthBytes: rawPeakGrowth, boundBytes: bound, headroomBytes: HEADROOM_BYTES },
  };
}
