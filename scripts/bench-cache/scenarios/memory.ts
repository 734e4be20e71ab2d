/**
 * Scenario 5: a million distinct keys through L1 (in a child process of its
 * own, with `--expose-gc`): RSS over the idle baseline must stay under the L1
 * budget (maxBytes, 32 MiB) plus 64 MiB.
 */
import { mib, num, table } from '../../../lib/loadgen/index.js';
import { startChild } from '../child-process.js';
import type { MemoryFloodOptions, MemoryFloodResult } from '../memory-flood.js';
import { check, type BenchSettings, type ScenarioReport } from '../report.js';

const MIB = 1024 * 1024;
/** TieredCacheOptions.maxBytes default, given explicitly so the bound below is the one the cache was built with. */
const L1_MAX_BYTES = 32 * MIB;
const HEADROOM_BYTES = 64 * MIB;

export async function memoryScenario(s: BenchSettings, keys = 1_000_000): Promise<ScenarioReport> {
  const title = `5. Memory: ${keys.toLocaleString('en')} distinct keys written through L1 (services.cache.getOrCompute, small bodies)`;
  s.progress(`${title}...`);
  const options: MemoryFloodOptions = { keys, maxBytes: L1_MAX_BYTES };
  const child = await startChild<MemoryFloodResult>('scripts/bench-cache/memory-flood.ts', {
    label: 'memory flood',
    args: [JSON.stringify(options)],
    nodeFlags: ['--expose-gc'],
  });
  const r = child.info;
  await child.stop();
  const growth = r.peakRssBytes - r.baselineRssBytes;
  const bound = r.maxBytes + HEADROOM_BYTES;
  return {
    id: 'memory',
    title,
    table: table(
      ['RSS baseline', 'RSS peak', 'peak - baseline', 'RSS after gc', 'heap baseline -> after gc', 'L1 entries', 'L1 bytes', 'writes/s'],
      [
        [
          mib(r.baselineRssBytes),
          mib(r.peakRssBytes),
          mib(growth, true),
          mib(r.afterGcRssBytes),
          `${mib(r.baselineHeapBytes)} -> ${mib(r.afterGcHeapBytes)}`,
          num(r.l1.l1Entries),
          `${mib(r.l1.l1Bytes)} of ${mib(r.maxBytes)}`,
          num(r.writesPerS),
        ],
      ],
    ),
    notes: [
      `real services (embedded PGlite, in-memory KV as L2); L2 (in this process too) held ${num(r.kv.entries)} keys, ${mib(r.kv.bytes)} after ${num(r.kv.evictions)} evictions`,
      `L1 stats: ${JSON.stringify(r.l1)}; ${r.seconds.toFixed(1)} s; gc ${r.gcExposed ? 'exposed (--expose-gc)' : 'NOT exposed: after-gc numbers include garbage'}`,
      ...(r.l1.l1Bytes < r.maxBytes * 0.9
        ? [`L1 ended at ${num(r.l1.l1Entries)} entries, ${mib(r.l1.l1Bytes)}: its entry bound (TieredCacheOptions.maxEntries), not the byte budget, limited it`]
        : []),
    ],
    checks: [check('memory: RSS growth over the idle baseline (MiB)', growth / MIB, '<=', bound / MIB, (n) => n.toFixed(1))],
    data: { ...r, growthBytes: growth, boundBytes: bound },
  };
}
