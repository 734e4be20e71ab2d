import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import type { Sketch } from './sketch.js';
import { normal, seededRandom } from './test-support.js';

/** The internals the memory test inspects behind the public child type. */
interface SeriesInternals {
  counts: Float64Array;
  sketch: Sketch;
}

describe('histogram memory', () => {
  it('stays constant over 10,000,000 observations into one histogram with a sketch', () => {
    const maxBuckets = 2048;
    const registry = createRegistry();
    const h = registry.histogram({
      name: 'request_duration_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      sketch: { maxBuckets },
    });
    const child = h.labels({ route: '/api/runs' });
    const series = child as unknown as SeriesInternals;
    // Log-normal latencies around 30 ms, 1e-4 s to ~10 s; drawn once, replayed.
    const random = seededRandom(2024);
    const pool = Float64Array.from({ length: 1 << 16 }, () => 0.03 * Math.exp(1.5 * normal(random)));
    const mask = pool.length - 1;

    for (let i = 0; i < 1_000_000; i++) child.observe(pool[i & mask]!);
    const capacityAfterWarmUp = series.sketch.capacity;
    const countsArray = series.counts;

    for (let i = 1_000_000; i < 10_000_000; i++) child.observe(pool[i & mask]!);

    expect(series.sketch.count).toBe(10_000_000);
    expect(series.sketch.bucketCount).toBeLessThan(maxBuckets);
    expect(series.sketch.capacity).toBeLessThanOrEqual(maxBuckets);
    expect(series.sketch.capacity).toBe(capacityAfterWarmUp);
    expect(series.counts).toBe(countsArray);
    expect(series.counts.length).toBe(h.buckets.length + 1);
    expect(h.seriesCount).toBe(1);
    const snapshot = h.snapshot(true);
    expect(snapshot.series[0]?.counts.reduce((a, b) => a + b, 0)).toBe(10_000_000);
    // The snapshot is as small as the sketch: bounded by its span, not by the observations.
    expect(JSON.stringify(snapshot).length).toBeLessThan(40_000);
  });
});
