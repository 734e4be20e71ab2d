import { describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import { mergeSnapshots } from './snapshot.js';
import { bucketQuantile, quantile, rate, summarize } from './summary.js';
import { seededRandom } from './test-support.js';

function setup() {
  const clock = { now: 10_000 };
  const registry = createRegistry({ clock: { nowMs: () => clock.now } });
  const requests = registry.counter({ name: 'requests_total', help: 'R.', labelNames: ['route'] });
  const latency = registry.histogram({
    name: 'latency_seconds',
    help: 'L.',
    labelNames: ['route'],
    buckets: [0.1, 0.2, 0.5, 1],
    sketch: true,
  });
  const plain = registry.histogram({ name: 'plain_seconds', help: 'P.', buckets: [0.1, 0.2, 0.5, 1] });
  const gauge = registry.gauge({ name: 'g', help: 'G.' });
  return { clock, registry, requests, latency, plain, gauge };
}

describe('summarize', () => {
  it('reports p50/p95/p99 from the sketches within 1% and totals, sums and means', () => {
    const { registry, latency } = setup();
    // 1..1000 ms, uniformly: exact quantiles at rank ⌊q·999⌋ are 0.5, 0.95, 0.99 s.
    for (let i = 1; i <= 1000; i++) latency.labels({ route: i % 2 === 0 ? '/a' : '/b' }).observe(i / 1000);
    const summary = summarize(registry.snapshot()).histograms['latency_seconds']!;
    expect(summary.count).toBe(1000);
    expect(summary.sum).toBeCloseTo(500.5, 9);
    expect(summary.mean).toBeCloseTo(0.5005, 9);
    expect(summary.quantileSource).toBe('sketch');
    for (const [key, exact] of [
      ['p50', 0.5],
      ['p95', 0.95],
      ['p99', 0.99],
    ] as const) {
      expect(Math.abs(summary.quantiles[key]! - exact)).toBeLessThanOrEqual(0.01 * exact);
    }
    expect(summary.series.map((s) => [s.labels, s.count])).toEqual([
      [{ route: '/b' }, 500],
      [{ route: '/a' }, 500],
    ]);
  });

  it('falls back to bucket interpolation without sketches and says so', () => {
    const { registry, plain } = setup();
    for (let i = 0; i < 100; i++) plain.observe(0.15);
    const summary = summarize(registry.snapshot(), { quantiles: [0.5, 0.999] }).histograms['plain_seconds']!;
    expect(summary.quantileSource).toBe('buckets');
    expect(Object.keys(summary.quantiles)).toEqual(['p50', 'p99.9']);
    expect(summary.quantiles['p50']).toBeCloseTo(0.15, 12);
    expect(summary.quantiles['p99.9']).toBeCloseTo(0.1999, 12);
  });

  it('gives null quantiles and mean for an empty histogram and null for NaN gauges', () => {
    const { registry, gauge } = setup();
    gauge.set(NaN);
    const summary = summarize(registry.snapshot());
    expect(summary.histograms['plain_seconds']).toMatchObject({ count: 0, mean: null, quantiles: { p50: null } });
    expect(summary.gauges['g']?.series[0]?.value).toBeNull();
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('adds per-second rates against a previous snapshot', () => {
    const { clock, registry, requests, latency } = setup();
    requests.labels({ route: '/a' }).inc(10);
    const previous = registry.snapshot();
    clock.now += 2000;
    requests.labels({ route: '/a' }).inc(6);
    requests.labels({ route: '/b' }).inc(2);
    latency.labels({ route: '/a' }).observe(0.1);
    const summary = summarize(registry.snapshot(), { previous });
    expect(summary.intervalMs).toBe(2000);
    expect(summary.counters['requests_total']).toMatchObject({
      total: 18,
      ratePerSecond: 4,
      series: [{ ratePerSecond: 3 }, { ratePerSecond: 1 }],
    });
    expect(summary.histograms['latency_seconds']?.ratePerSecond).toBe(0.5);
    expect(summarize(registry.snapshot()).counters['requests_total']?.ratePerSecond).toBeNull();
  });

  it('summarises a merged fleet snapshot with quantiles over all instances', () => {
    const random = seededRandom(5);
    const fleet = [setup(), setup(), setup()];
    const all: number[] = [];
    fleet.forEach(({ latency }, n) => {
      for (let i = 0; i < 5000; i++) {
        const v = (n + 1) * 0.1 * random();
        all.push(v);
        latency.labels({ route: '/a' }).observe(v);
      }
    });
    all.sort((a, b) => a - b);
    const summary = summarize(mergeSnapshots(fleet.map((f) => f.registry.snapshot())));
    const p99 = summary.histograms['latency_seconds']!.quantiles['p99']!;
    const exact = all[Math.floor(0.99 * (all.length - 1))]!;
    expect(Math.abs(p99 - exact)).toBeLessThanOrEqual(0.01 * exact);
    expect(summary.sources).toBe(3);
  });
});

describe('rate', () => {
  it('divides the increase by the interval and reads a decrease as a restart', () => {
    const { clock, registry, requests } = setup();
    requests.labels({ route: '/a' }).inc(100);
    const before = registry.snapshot();
    clock.now += 10_000;
    requests.labels({ route: '/a' }).inc(50);
    const after = registry.snapshot();
    expect(rate(before, after, 'requests_total')).toBe(5);
    expect(rate(before, after, 'requests_total', { route: '/a' })).toBe(5);
    expect(rate(before, after, 'requests_total', { route: '/nope' })).toBe(0);
    const restarted = { ...after, metrics: [{ ...after.metrics[0]!, series: [{ labels: ['/a'], value: 20 }] }] };
    expect(rate(before, restarted as typeof after, 'requests_total')).toBe(2);
    expect(rate(before, before, 'requests_total')).toBeNull();
    expect(rate(before, after, 'missing_total')).toBeNull();
  });
});

describe('quantile', () => {
  it('reads one series or all of them, NaN for unknown metrics', () => {
    const { registry, latency } = setup();
    latency.labels({ route: '/a' }).observe(0.1);
    latency.labels({ route: '/b' }).observe(0.3);
    const snapshot = registry.snapshot();
    expect(quantile(snapshot, 'latency_seconds', 1, { route: '/a' })).toBe(0.1);
    expect(quantile(snapshot, 'latency_seconds', 1)).toBe(0.3);
    expect(quantile(snapshot, 'requests_total', 0.5)).toBeNaN();
    expect(quantile(snapshot, 'latency_seconds', 0.5, { route: '/c' })).toBeNaN();
  });
});

describe('bucketQuantile', () => {
  it('interpolates like Prometheus histogram_quantile', () => {
    // 10 in (0, 1], 10 in (1, 2]: the median is the top of the first bucket.
    expect(bucketQuantile([1, 2], [10, 10, 0], 0.5)).toBe(1);
    expect(bucketQuantile([1, 2], [10, 10, 0], 0.75)).toBe(1.5);
    expect(bucketQuantile([1, 2], [10, 10, 0], 0.25)).toBe(0.5);
    // A rank in the +Inf bucket answers the highest finite bound.
    expect(bucketQuantile([1, 2], [0, 0, 5], 0.5)).toBe(2);
    // A negative first bound is answered as is.
    expect(bucketQuantile([-1, 2], [4, 0, 0], 0.5)).toBe(-1);
    expect(bucketQuantile([1], [0, 0], 0.5)).toBeNaN();
  });
});
