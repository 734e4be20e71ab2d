/**
 * `npm run bench:metrics`: the cost of the metrics hot path and of a scrape,
 * lib/metrics side by side with prom-client in the same process.
 *
 * Measured, in ns per operation:
 * - one histogram observation with two labels through a bound child
 *   (lib/metrics with and without a quantile sketch; prom-client `labels()` child);
 * - one observation that looks its series up by label values on every call
 *   (lib/metrics `labels({...}).observe(v)`; prom-client `observe({...}, v)` and
 *   `labels({...}).observe(v)`) over 8 label sets;
 * - one full Prometheus text export of a registry holding 1,000 histogram series.
 *
 * Rounds interleave the scenarios (rotating their order) so that drift of a
 * shared, noisy machine hits both libraries alike; medians over rounds are
 * reported, with ratios lib/metrics ÷ prom-client (below 1 is faster).
 * Finally 10,000,000 observations go into one histogram with a sketch to show
 * that memory does not grow.
 *
 * Heap use is compared after a full gc.
 *
 * Environment: BENCH_ROUNDS (default 9), BENCH_TARGET_MS per measurement (default 150).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import client from 'prom-client';
import { createRegistry, type HistogramChild, type Registry } from '../lib/metrics/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const TARGET_MS = Number(process.env.BENCH_TARGET_MS ?? 150);
const LABEL_NAMES = ['route', 'status'] as const;
type LabelSet = { route: string; status: string };

// Log-normal latencies around 30 ms (Box–Muller), drawn once and replayed.
const values = Float64Array.from(
  { length: 1 << 14 },
  () => 0.03 * Math.exp(1.2 * Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())),
);
const MASK = values.length - 1;
const labelSets: LabelSet[] = Array.from({ length: 8 }, (_, i) => ({ route: `/api/route-${i}`, status: i % 3 === 0 ? '500' : '200' }));
/** Keeps results alive so the optimiser cannot drop the work. */
let sink = 0;

interface Scenario {
  group: string;
  lib: 'iris' | 'prom-client';
  label: string;
  /** Runs `n` operations and returns the elapsed nanoseconds. */
  run(n: number): number | Promise<number>;
  opsPerRun: number;
  samples: number[];
}

function timeLoop(n: number, body: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  return Number(process.hrtime.bigint() - start);
}

// Observation scenarios -----------------------------------------------------

const iris = createRegistry();
const irisPlain = iris.histogram({ name: 'bench_plain_seconds', help: 'Bench.', labelNames: LABEL_NAMES });
const irisSketch = iris.histogram({ name: 'bench_sketch_seconds', help: 'Bench.', labelNames: LABEL_NAMES, sketch: true });
/** A prom-client histogram with the same labels and default buckets, in a registry of its own. */
function promHistogram(name: string, help: string) {
  const registry = new client.Registry();
  const histogram = new client.Histogram({ name, help, labelNames: LABEL_NAMES, registers: [registry] });
  return { registry, histogram };
}
const { histogram: prom } = promHistogram('bench_prom_seconds', 'Bench.');

const first = labelSets[0]!;
const irisPlainChild: HistogramChild = irisPlain.labels(first);
const irisSketchChild: HistogramChild = irisSketch.labels(first);
const promChild = prom.labels(first);

function scenario(group: string, lib: Scenario['lib'], label: string, run: Scenario['run']): Scenario {
  return { group, lib, label, run, opsPerRun: 0, samples: [] };
}

const scenarios: Scenario[] = [
  scenario('observe, bound child', 'iris', 'lib/metrics child.observe(v)', (n) =>
    timeLoop(n, (i) => irisPlainChild.observe(values[i & MASK]!)),
  ),
  scenario('observe, bound child', 'iris', 'lib/metrics child.observe(v) + sketch', (n) =>
    timeLoop(n, (i) => irisSketchChild.observe(values[i & MASK]!)),
  ),
  scenario('observe, bound child', 'prom-client', 'prom-client labels(...).observe(v) child', (n) =>
    timeLoop(n, (i) => promChild.observe(values[i & MASK]!)),
  ),
  scenario('observe, labels lookup', 'iris', 'lib/metrics labels({...}).observe(v)', (n) =>
    timeLoop(n, (i) => irisPlain.labels(labelSets[i & 7]!).observe(values[i & MASK]!)),
  ),
  scenario('observe, labels lookup', 'iris', 'lib/metrics labels({...}).observe(v) + sketch', (n) =>
    timeLoop(n, (i) => irisSketch.labels(labelSets[i & 7]!).observe(values[i & MASK]!)),
  ),
  scenario('observe, labels lookup', 'prom-client', 'prom-client observe({...}, v)', (n) =>
    timeLoop(n, (i) => prom.observe(labelSets[i & 7]!, values[i & MASK]!)),
  ),
  scenario('observe, labels lookup', 'prom-client', 'prom-client labels({...}).observe(v)', (n) =>
    timeLoop(n, (i) => prom.labels(labelSets[i & 7]!).observe(values[i & MASK]!)),
  ),
];

// Export scenario: 1,000 histogram series (250 routes × 4 statuses) -----------

const SERIES = 1000;
const exportIris: Registry = createRegistry();
const exportIrisHistogram = exportIris.histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request latency.',
  labelNames: LABEL_NAMES,
});
const { registry: exportPromRegistry, histogram: exportProm } = promHistogram(
  'http_request_duration_seconds',
  'HTTP request latency.',
);
for (let s = 0; s < SERIES; s++) {
  const labels = { route: `/api/route/${s >> 2}`, status: ['200', '304', '404', '500'][s & 3]! };
  for (let k = 0; k < 20; k++) {
    const v = values[(s * 20 + k) & MASK]!;
    exportIrisHistogram.labels(labels).observe(v);
    exportProm.observe(labels, v);
  }
}
const irisText = exportIris.render('prometheus').body;
const promText = await exportPromRegistry.metrics();
const sampleLines = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

scenarios.push(
  scenario('export 1,000 series (text 0.0.4)', 'iris', 'lib/metrics render(snapshot())', (n) =>
    timeLoop(n, () => {
      sink += exportIris.render('prometheus').body.length;
    }),
  ),
  scenario('export 1,000 series (text 0.0.4)', 'prom-client', 'prom-client await registry.metrics()', async (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink += (await exportPromRegistry.metrics()).length;
    return Number(process.hrtime.bigint() - start);
  }),
);

// Run -----------------------------------------------------------------------

async function calibrate(s: Scenario): Promise<void> {
  let n = 1;
  for (;;) {
    const ns = await s.run(n);
    if (ns > 20e6 || n >= 1 << 26) {
      s.opsPerRun = Math.max(1, Math.round((n * TARGET_MS * 1e6) / ns));
      return;
    }
    n *= 4;
  }
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fmt = (ns: number) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : `${ns.toFixed(1)} ns`);

console.log(`node ${process.version}, ${ROUNDS} rounds, ~${TARGET_MS} ms per measurement`);
console.log(`export: lib/metrics ${sampleLines(irisText)} sample lines, prom-client ${sampleLines(promText)}\n`);
for (const s of scenarios) await calibrate(s);
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < scenarios.length; k++) {
    const s = scenarios[(k + round) % scenarios.length]!;
    s.samples.push((await s.run(s.opsPerRun)) / s.opsPerRun);
  }
}

const groups = [...new Set(scenarios.map((s) => s.group))];
const report: Record<string, Record<string, number>> = {};
for (const group of groups) {
  const members = scenarios.filter((s) => s.group === group);
  const promBest = Math.min(...members.filter((s) => s.lib === 'prom-client').map((s) => median(s.samples)));
  console.log(group);
  report[group] = {};
  for (const s of members) {
    const m = median(s.samples);
    report[group][s.label] = Math.round(m * 10) / 10;
    const spread = `${fmt(Math.min(...s.samples))}–${fmt(Math.max(...s.samples))}`;
    const ratio = s.lib === 'iris' ? `  ×${(m / promBest).toFixed(3)} of prom-client's best` : '';
    console.log(`  ${s.label.padEnd(48)} ${fmt(m).padStart(11)}/op  (range ${spread})${ratio}`);
  }
}

// Memory under 10M observations ------------------------------------------------

/** `gc()` without asking for --expose-gc on the command line (npm run passes no node flags). */
function exposeGc(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function memoryUnderLoad(): string {
  const gc = exposeGc();
  const registry = createRegistry();
  const histogram = registry.histogram({ name: 'big_seconds', help: 'Big.', sketch: true });
  const child = histogram.labels({});
  child.observe(values[0]!);
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const elapsedNs = timeLoop(10_000_000, (i) => child.observe(values[i & MASK]!));
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const metric = registry.snapshot().metrics.find((m) => m.name === 'big_seconds');
  const sketch = metric?.type === 'histogram' ? metric.series[0]?.sketch : undefined;
  return (
    `10,000,000 observations into one histogram + sketch: ${(elapsedNs / 1e7).toFixed(1)} ns/op, ` +
    `sketch buckets ${sketch?.positive?.counts.length ?? 0} (cap 2048), heap change ` +
    `${((heapAfter - heapBefore) / 1024).toFixed(0)} KiB` +
    (gc === undefined ? ' (gc not available: includes garbage)' : ' (after a full gc)')
  );
}

console.log(`\n${memoryUnderLoad()}`);
console.log(`\n${JSON.stringify({ nsPerOp: report })}`);
if (sink === -1) console.log(sink);
