import { describe, expect, it } from 'vitest';
import { renderPrometheus } from './exposition.js';
import { createRegistry, type Registry } from './registry.js';
import { decodeNumber, encodeNumber, mergeSnapshots, type GaugeSnapshot, type HistogramSnapshot, type Snapshot } from './snapshot.js';
import { normal, seededRandom } from './test-support.js';

/** One instance of the app: the same metric definitions, its own values and clock. */
function instance(nowMs: number) {
  const registry = createRegistry({ clock: { nowMs: () => nowMs } });
  return {
    registry,
    requests: registry.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['route'] }),
    latency: registry.histogram({
      name: 'latency_seconds',
      help: 'Latency.',
      labelNames: ['route'],
      buckets: [0.01, 0.1, 1],
      sketch: true,
    }),
    inflight: registry.gauge({ name: 'inflight_requests', help: 'In flight.' }),
    lag: registry.gauge({ name: 'lag_seconds', help: 'Lag.', merge: 'max' }),
    started: registry.gauge({ name: 'start_time_seconds', help: 'Start.', merge: 'min' }),
    version: registry.gauge({ name: 'config_version', help: 'Config version.', merge: 'last' }),
  };
}

function find<T extends Snapshot['metrics'][number]>(snapshot: Snapshot, name: string): T {
  return snapshot.metrics.find((m) => m.name === name) as T;
}

describe('mergeSnapshots', () => {
  it('adds counters and histograms series by series and keeps series seen in one input', () => {
    const a = instance(1000);
    const b = instance(2000);
    a.requests.labels({ route: '/x' }).inc(3);
    b.requests.labels({ route: '/x' }).inc(4);
    b.requests.labels({ route: '/y' }).inc(1);
    a.latency.labels({ route: '/x' }).observe(0.005);
    b.latency.labels({ route: '/x' }).observe(0.5);
    b.latency.labels({ route: '/x' }).observe(5);

    const merged = mergeSnapshots([a.registry.snapshot(), b.registry.snapshot()]);
    expect(merged.sources).toBe(2);
    expect(merged.timestampMs).toBe(2000);
    expect(find(merged, 'requests_total').series).toEqual([
      { labels: ['/x'], value: 7 },
      { labels: ['/y'], value: 1 },
    ]);
    const latency = find<HistogramSnapshot>(merged, 'latency_seconds').series[0];
    expect(latency).toMatchObject({ labels: ['/x'], counts: [1, 0, 1, 1], sum: 5.505 });
    expect(latency?.sketch?.count).toBe(3);
  });

  it('merges sketches into the sketch of all instances’ observations together', () => {
    const random = seededRandom(11);
    const a = instance(1);
    const b = instance(2);
    const together = instance(3);
    for (let i = 0; i < 20_000; i++) {
      const v = 0.05 * Math.exp(normal(random));
      (i % 3 === 0 ? a : b).latency.labels({ route: '/x' }).observe(v);
      together.latency.labels({ route: '/x' }).observe(v);
    }
    const merged = mergeSnapshots([a.registry.snapshot(), b.registry.snapshot()]);
    const sketchOf = (s: Snapshot) => find<HistogramSnapshot>(s, 'latency_seconds').series[0]?.sketch;
    expect(sketchOf(merged)).toEqual(sketchOf(together.registry.snapshot()));
  });

  it('combines gauges by their merge mode; last takes the newest snapshot whatever the order', () => {
    const older = instance(1000);
    const newer = instance(5000);
    older.inflight.set(2);
    newer.inflight.set(3);
    older.lag.set(0.2);
    newer.lag.set(0.05);
    older.started.set(100);
    newer.started.set(50);
    older.version.set(41);
    newer.version.set(42);
    const merged = mergeSnapshots([newer.registry.snapshot(), older.registry.snapshot()]);
    const value = (name: string) => find<GaugeSnapshot>(merged, name).series[0]?.value;
    expect([value('inflight_requests'), value('lag_seconds'), value('start_time_seconds'), value('config_version')]).toEqual([
      5, 0.2, 50, 42,
    ]);
  });

  it('works on snapshots that went through JSON, NaN gauges included', () => {
    const a = instance(1);
    const b = instance(2);
    a.inflight.set(NaN);
    a.latency.labels({ route: '/x' }).observe(0.02);
    b.latency.labels({ route: '/x' }).observe(0.03);
    const snapshots = [a.registry.snapshot(), b.registry.snapshot()];
    const viaJson = snapshots.map((s) => JSON.parse(JSON.stringify(s)) as Snapshot);
    expect(mergeSnapshots(viaJson)).toEqual(mergeSnapshots(snapshots));
    expect(find<GaugeSnapshot>(mergeSnapshots(viaJson), 'inflight_requests').series[0]?.value).toBe('NaN');
  });

  it('does not modify its inputs', () => {
    const a = instance(1);
    a.requests.labels({ route: '/x' }).inc();
    a.latency.labels({ route: '/x' }).observe(0.5);
    const snapshot = a.registry.snapshot();
    const before = structuredClone(snapshot);
    mergeSnapshots([snapshot, snapshot, snapshot]);
    expect(snapshot).toEqual(before);
  });

  it('drops a series sketch when one input sent none, keeping the buckets', () => {
    const a = instance(1);
    const b = instance(2);
    a.latency.labels({ route: '/x' }).observe(0.5);
    b.latency.labels({ route: '/x' }).observe(0.5);
    const merged = mergeSnapshots([a.registry.snapshot(), b.registry.snapshot({ sketches: false })]);
    const series = find<HistogramSnapshot>(merged, 'latency_seconds').series[0];
    expect(series?.sketch).toBeUndefined();
    expect(series?.counts).toEqual([0, 0, 2, 0]);
  });

  it('keeps the first definition of a metric that differs between inputs and lists the conflict', () => {
    const a = createRegistry();
    const b = createRegistry();
    a.histogram({ name: 'h_seconds', help: 'H.', buckets: [1] }).observe(0.5);
    b.histogram({ name: 'h_seconds', help: 'H.', buckets: [2] }).observe(0.5);
    a.counter({ name: 'c_total', help: 'C.', labelNames: ['x'] });
    b.counter({ name: 'c_total', help: 'C.', labelNames: ['y'] });
    const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
    expect(merged.conflicts).toEqual([
      { name: 'h_seconds', reason: 'buckets' },
      { name: 'c_total', reason: 'labels' },
    ]);
    expect(find<HistogramSnapshot>(merged, 'h_seconds')).toMatchObject({ buckets: [1], series: [{ counts: [1, 0] }] });
    expect(mergeSnapshots([merged]).conflicts).toHaveLength(2);
  });

  it('renders a merged snapshot with the same renderer as an instance', () => {
    const fleet: Registry[] = [instance(1), instance(2)].map(({ registry, requests }) => {
      requests.labels({ route: '/x' }).inc(2);
      return registry;
    });
    const text = renderPrometheus(mergeSnapshots(fleet.map((r) => r.snapshot())));
    expect(text).toContain('requests_total{route="/x"} 4\n');
  });

  it('returns an empty snapshot for no inputs', () => {
    expect(mergeSnapshots([])).toEqual({ version: 1, timestampMs: 0, sources: 0, metrics: [] });
  });
});

describe('encodeNumber', () => {
  it('spells non-finite numbers as strings and decodes them back', () => {
    for (const v of [0, -1.5, NaN, Infinity, -Infinity]) expect(decodeNumber(encodeNumber(v))).toBe(v);
    expect([NaN, Infinity, -Infinity].map(encodeNumber)).toEqual(['NaN', '+Inf', '-Inf']);
  });
});
