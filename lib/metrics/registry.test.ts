import { describe, expect, it } from 'vitest';
import { MetricsError } from './errors.js';
import { createRegistry } from './registry.js';
import type { CounterSnapshot, GaugeSnapshot, HistogramSnapshot, Snapshot } from './snapshot.js';

function metricOf<T extends Snapshot['metrics'][number]>(snapshot: Snapshot, name: string): T {
  const metric = snapshot.metrics.find((m) => m.name === name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return metric as T;
}

function fakeClock(startMs = 1_700_000_000_000) {
  const clock = { wall: startMs, mono: 0 };
  return { clock, options: { nowMs: () => clock.wall, monotonicMs: () => clock.mono } };
}

describe('counters', () => {
  it('count per label set through bound children and start label-less counters at 0', () => {
    const registry = createRegistry();
    const requests = registry.counter({ name: 'requests_total', help: 'Requests.', labelNames: ['route', 'status'] });
    registry.counter({ name: 'errors_total', help: 'Errors.' });
    const ok = requests.labels({ route: '/a', status: '200' });
    ok.inc();
    ok.inc(2);
    requests.labels({ route: '/a', status: '200' }).inc();
    requests.labels({ route: '/b', status: '500' }).inc(0.5);
    const snapshot = registry.snapshot();
    expect(metricOf<CounterSnapshot>(snapshot, 'requests_total').series).toEqual([
      { labels: ['/a', '200'], value: 4 },
      { labels: ['/b', '500'], value: 0.5 },
    ]);
    expect(metricOf<CounterSnapshot>(snapshot, 'errors_total').series).toEqual([{ labels: [], value: 0 }]);
  });

  it('refuse to go down or by a non-finite amount', () => {
    const counter = createRegistry().counter({ name: 'x_total', help: 'X.' });
    for (const amount of [-1, NaN, Infinity]) {
      expect(() => counter.inc(amount)).toThrow(MetricsError);
    }
  });

  it('refuse a record without labels when labels are declared, and a missing label', () => {
    const counter = createRegistry().counter({ name: 'x_total', help: 'X.', labelNames: ['a', 'b'] });
    expect(() => counter.inc()).toThrow(/has labels \(a, b\)/);
    expect(() => counter.labels({ a: '1' } as never).inc()).toThrow(/label "b" is missing/);
  });

  it('store label values given as numbers from plain JavaScript as strings, in one series', () => {
    const registry = createRegistry();
    const counter = registry.counter({ name: 'x_total', help: 'X.', labelNames: ['status'] });
    counter.labels({ status: 200 as unknown as string }).inc();
    counter.labels({ status: '200' }).inc();
    expect(metricOf<CounterSnapshot>(registry.snapshot(), 'x_total').series).toEqual([{ labels: ['200'], value: 2 }]);
  });
});

describe('gauges', () => {
  it('set, increase and decrease per label set, NaN included', () => {
    const registry = createRegistry();
    const gauge = registry.gauge({ name: 'inflight_requests', help: 'In flight.', labelNames: ['route'] });
    const a = gauge.labels({ route: '/a' });
    a.inc();
    a.inc(3);
    a.dec();
    gauge.labels({ route: '/b' }).set(NaN);
    expect(metricOf<GaugeSnapshot>(registry.snapshot(), 'inflight_requests')).toMatchObject({
      merge: 'sum',
      series: [
        { labels: ['/a'], value: 3 },
        { labels: ['/b'], value: 'NaN' },
      ],
    });
  });

  it('run collect callbacks at snapshot time', () => {
    let source = 1;
    const registry = createRegistry();
    registry.gauge({ name: 'pool_size', help: 'Pool size.', merge: 'max', collect: (g) => g.set(source) });
    expect(metricOf<GaugeSnapshot>(registry.snapshot(), 'pool_size').series[0]?.value).toBe(1);
    source = 7;
    expect(metricOf<GaugeSnapshot>(registry.snapshot(), 'pool_size').series[0]?.value).toBe(7);
  });

  it('keep their last value when collect throws, count each failure and report it once per outage', () => {
    let fail = false;
    const reported: string[] = [];
    const registry = createRegistry({ onCollectError: (_error, metric) => reported.push(metric) });
    registry.gauge({
      name: 'queue_depth',
      help: 'Depth.',
      collect: (g) => {
        if (fail) throw new Error('source down');
        g.set(5);
      },
    });
    registry.snapshot();
    fail = true;
    registry.snapshot();
    const snapshot = registry.snapshot();
    expect(metricOf<GaugeSnapshot>(snapshot, 'queue_depth').series[0]?.value).toBe(5);
    expect(metricOf<CounterSnapshot>(snapshot, 'metrics_collect_errors_total').series).toEqual([
      { labels: ['queue_depth'], value: 2 },
    ]);
    expect(reported).toEqual(['queue_depth']);
    fail = false;
    registry.snapshot();
    fail = true;
    registry.snapshot();
    expect(reported).toEqual(['queue_depth', 'queue_depth']);
  });

  it('reject an unknown merge mode', () => {
    expect(() => createRegistry().gauge({ name: 'g', help: 'G.', merge: 'avg' as never })).toThrow(/merge must be one of/);
  });
});

describe('histograms', () => {
  it('count values into inclusive upper-bound buckets, +Inf last, with sum', () => {
    const registry = createRegistry();
    const h = registry.histogram({ name: 'size_bytes', help: 'Size.', buckets: [1, 10, 100] });
    for (const v of [0, 1, 1.5, 10, 100, 101, -5]) h.observe(v);
    const metric = metricOf<HistogramSnapshot>(registry.snapshot(), 'size_bytes');
    expect(metric.buckets).toEqual([1, 10, 100]);
    expect(metric.series).toEqual([{ labels: [], counts: [3, 2, 1, 1], sum: 208.5 }]);
  });

  it('find the same buckets by binary search when there are many bounds', () => {
    const bounds = Array.from({ length: 40 }, (_, i) => (i + 1) * 0.5);
    const registry = createRegistry();
    const many = registry.histogram({ name: 'many_seconds', help: 'M.', buckets: bounds });
    const values = [-1, 0, 0.5, 0.51, 7, 7.5, 19.99, 20, 20.01, 1e9];
    for (const v of values) many.observe(v);
    const expected = new Array<number>(41).fill(0);
    for (const v of values) {
      const i = bounds.findIndex((b) => v <= b);
      expected[i === -1 ? 40 : i]!++;
    }
    expect(metricOf<HistogramSnapshot>(registry.snapshot(), 'many_seconds').series[0]?.counts).toEqual(expected);
  });

  it('ignore NaN and infinite observations and count them', () => {
    const registry = createRegistry();
    const h = registry.histogram({ name: 'lat_seconds', help: 'L.', labelNames: ['route'] });
    const child = h.labels({ route: '/a' });
    child.observe(NaN);
    child.observe(Infinity);
    child.observe(0.1);
    const snapshot = registry.snapshot();
    expect(metricOf<HistogramSnapshot>(snapshot, 'lat_seconds').series[0]?.sum).toBe(0.1);
    expect(metricOf<CounterSnapshot>(snapshot, 'metrics_observations_dropped_total').series).toEqual([
      { labels: ['lat_seconds'], value: 2 },
    ]);
  });

  it('time durations in seconds on the injected monotonic clock', () => {
    const { clock, options } = fakeClock();
    const registry = createRegistry({ clock: options });
    const h = registry.histogram({ name: 'op_seconds', help: 'Op.', buckets: [0.1, 1] });
    const end = h.startTimer();
    clock.mono += 250;
    expect(end()).toBe(0.25);
    expect(metricOf<HistogramSnapshot>(registry.snapshot(), 'op_seconds').series[0]).toMatchObject({
      counts: [0, 1, 0],
      sum: 0.25,
    });
  });

  it('feed a sketch per series when asked, with the registry sketch settings', () => {
    const registry = createRegistry({ sketch: { relativeAccuracy: 0.02 } });
    const h = registry.histogram({ name: 'lat_seconds', help: 'L.', sketch: true });
    h.observe(0.5);
    const snapshot = registry.snapshot();
    const metric = metricOf<HistogramSnapshot>(snapshot, 'lat_seconds');
    expect(metric.sketch).toEqual({ relativeAccuracy: 0.02, maxBuckets: 2048 });
    expect(metric.series[0]?.sketch?.count).toBe(1);
    const lean = metricOf<HistogramSnapshot>(registry.snapshot({ sketches: false }), 'lat_seconds');
    expect(lean.series[0]?.sketch).toBeUndefined();
  });

  it('reject empty, non-finite or unordered buckets and the le label', () => {
    const registry = createRegistry();
    expect(() => registry.histogram({ name: 'a_seconds', help: 'A.', buckets: [] })).toThrow(/empty/);
    expect(() => registry.histogram({ name: 'a_seconds', help: 'A.', buckets: [1, Infinity] })).toThrow(/finite/);
    expect(() => registry.histogram({ name: 'a_seconds', help: 'A.', buckets: [1, 1] })).toThrow(/ascending/);
    expect(() => registry.histogram({ name: 'a_seconds', help: 'A.', labelNames: ['le'] })).toThrow(/"le"/);
    expect(() => registry.histogram({ name: 'a_seconds', help: 'A.', sketch: { maxBuckets: 0 } })).toThrow(
      /metric "a_seconds": sketch maxBuckets/,
    );
  });
});

describe('series cap', () => {
  it('keeps 100,000 distinct label values on a capped metric to cap + 1 series', () => {
    const registry = createRegistry();
    const h = registry.histogram({ name: 'by_user_seconds', help: 'Per user.', labelNames: ['user'], maxSeries: 1000 });
    for (let i = 0; i < 100_000; i++) h.labels({ user: `u${i}` }).observe(0.01);
    expect(h.seriesCount).toBe(1001);
    const snapshot = registry.snapshot();
    const metric = metricOf<HistogramSnapshot>(snapshot, 'by_user_seconds');
    expect(metric.series).toHaveLength(1001);
    const other = metric.series.find((s) => s.labels[0] === 'other');
    expect(other?.counts.reduce((a, b) => a + b, 0)).toBe(99_000);
    expect(metricOf<CounterSnapshot>(snapshot, 'metrics_series_dropped_total').series).toEqual([
      { labels: ['by_user_seconds'], value: 99_000 },
    ]);
  });

  it('uses the registry default cap and sets every label of the overflow series to other', () => {
    const registry = createRegistry({ maxSeriesPerMetric: 2 });
    const counter = registry.counter({ name: 'x_total', help: 'X.', labelNames: ['a', 'b'] });
    for (const a of ['1', '2', '3', '4']) counter.labels({ a, b: 'same' }).inc();
    counter.labels({ a: '1', b: 'same' }).inc();
    expect(metricOf<CounterSnapshot>(registry.snapshot(), 'x_total').series).toEqual([
      { labels: ['1', 'same'], value: 2 },
      { labels: ['2', 'same'], value: 1 },
      { labels: ['other', 'other'], value: 2 },
    ]);
  });

  it('rejects a cap that is not a positive integer', () => {
    expect(() => createRegistry({ maxSeriesPerMetric: 0 })).toThrow(/maxSeriesPerMetric/);
    expect(() => createRegistry().counter({ name: 'x_total', help: 'X.', maxSeries: 1.5 })).toThrow(/metric "x_total"/);
  });
});

describe('registration', () => {
  it('rejects a second metric with the same name or one that clashes on the wire', () => {
    const registry = createRegistry();
    registry.histogram({ name: 'lat_seconds', help: 'L.' });
    expect(() => registry.gauge({ name: 'lat_seconds', help: 'L.' })).toThrow(/already registered/);
    registry.counter({ name: 'jobs_total', help: 'J.' });
    expect(() => registry.gauge({ name: 'jobs', help: 'J.' })).toThrow(/clashes with "jobs_total"/);
    try {
      registry.gauge({ name: 'lat_seconds', help: 'L.' });
    } catch (error) {
      expect(error).toMatchObject({ code: 'E_METRICS', reason: 'duplicate', metric: 'lat_seconds' });
    }
  });

  it('requires help text', () => {
    expect(() => createRegistry().gauge({ name: 'g', help: ' ' })).toThrow(/help text is required/);
  });

  it('stamps snapshots with the injected wall clock and lists its own metrics last', () => {
    const { options } = fakeClock(1234);
    const registry = createRegistry({ clock: options });
    registry.gauge({ name: 'g', help: 'G.' });
    const snapshot = registry.snapshot();
    expect(snapshot.timestampMs).toBe(1234);
    expect(snapshot.sources).toBe(1);
    expect(snapshot.metrics.map((m) => m.name)).toEqual([
      'g',
      'metrics_series_dropped_total',
      'metrics_observations_dropped_total',
      'metrics_collect_errors_total',
    ]);
  });
});
