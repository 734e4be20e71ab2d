import { Sketch, type SketchOptions, type SketchState } from './sketch.js';

/**
 * Snapshots: a compact, JSON-serialisable copy of a registry's values, the one
 * input of every renderer. An instance renders its own snapshot; the fleet view
 * renders `mergeSnapshots` of many.
 */

/** A number that survives JSON: non-finite values are spelled as in the exposition format. */
export type SnapshotNumber = number | 'NaN' | '+Inf' | '-Inf';

/**
 * How a gauge combines across instances in {@link mergeSnapshots}:
 * - `sum`: additive quantities (in-flight requests, resident memory, queue depth);
 * - `max` / `min`: worst or earliest value (event-loop lag, process start time);
 * - `last`: the value from the snapshot with the newest `timestampMs` (a
 *   version, a configured limit).
 */
export type GaugeMerge = 'sum' | 'max' | 'min' | 'last';

interface MetricSnapshotBase {
  name: string;
  help: string;
  labelNames: string[];
}

export interface CounterSeriesSnapshot {
  /** `labels[i]` is the value of the metric's `labelNames[i]`. */
  labels: string[];
  value: number;
}

export interface CounterSnapshot extends MetricSnapshotBase {
  type: 'counter';
  series: CounterSeriesSnapshot[];
}

export interface GaugeSeriesSnapshot {
  labels: string[];
  value: SnapshotNumber;
}

export interface GaugeSnapshot extends MetricSnapshotBase {
  type: 'gauge';
  merge: GaugeMerge;
  series: GaugeSeriesSnapshot[];
}

export interface HistogramSeriesSnapshot {
  labels: string[];
  /** Count per bucket, not cumulative; one more entry than `buckets` (the +Inf bucket). */
  counts: number[];
  sum: number;
  /** Present when the histogram keeps a sketch and the snapshot asked for sketches. */
  sketch?: SketchState;
}

export interface HistogramSnapshot extends MetricSnapshotBase {
  type: 'histogram';
  /** Finite upper bounds, ascending; +Inf is implied. */
  buckets: number[];
  /** Sketch settings, or null when the histogram keeps none. */
  sketch: Required<SketchOptions> | null;
  series: HistogramSeriesSnapshot[];
}

export type MetricSnapshot = CounterSnapshot | GaugeSnapshot | HistogramSnapshot;
type SeriesSnapshot = CounterSeriesSnapshot | GaugeSeriesSnapshot | HistogramSeriesSnapshot;

/** Why a metric from a later snapshot was left out of a merge. */
export interface MergeConflict {
  name: string;
  reason: 'type' | 'labels' | 'buckets' | 'sketch' | 'merge';
}

export interface Snapshot {
  version: 1;
  /** When it was taken, epoch ms; the newest input's for a merged snapshot. */
  timestampMs: number;
  /** How many instance snapshots it combines (1 for one registry). */
  sources: number;
  metrics: MetricSnapshot[];
  /**
   * Metrics whose definition differed between inputs (e.g. during a rollout
   * that changed buckets); the first definition seen is kept, later ones are
   * left out and listed here.
   */
  conflicts?: MergeConflict[];
}

/** Encodes a number so that JSON keeps it. */
export function encodeNumber(value: number): SnapshotNumber {
  if (Number.isFinite(value)) return value;
  if (value === Infinity) return '+Inf';
  return value === -Infinity ? '-Inf' : 'NaN';
}

/** Inverse of {@link encodeNumber}. */
export function decodeNumber(value: SnapshotNumber): number {
  if (typeof value === 'number') return value;
  if (value === '+Inf') return Infinity;
  return value === '-Inf' ? -Infinity : NaN;
}

interface MergeSlot {
  metric: MetricSnapshot;
  series: Map<string, SeriesSnapshot>;
  /** For `last` gauges: the timestamp each series' value came from. */
  seenAtMs: Map<string, number>;
}

/**
 * Merges instance snapshots into one fleet snapshot: counters and histogram
 * buckets, sums and sketches add up series by series (same label values),
 * gauges combine by their `merge` mode. Inputs are not modified.
 *
 * A histogram series keeps a sketch only if every input that has the series
 * sent one; otherwise its quantiles fall back to the buckets.
 */
export function mergeSnapshots(snapshots: readonly Snapshot[]): Snapshot {
  const slots = new Map<string, MergeSlot>();
  const conflicts: MergeConflict[] = [];
  let timestampMs = 0;
  let sources = 0;
  for (const snapshot of snapshots) {
    timestampMs = Math.max(timestampMs, snapshot.timestampMs);
    sources += snapshot.sources;
    conflicts.push(...(snapshot.conflicts ?? []));
    for (const metric of snapshot.metrics) {
      let slot = slots.get(metric.name);
      if (slot === undefined) {
        slot = { metric: { ...metric, series: [] } as MetricSnapshot, series: new Map(), seenAtMs: new Map() };
        slots.set(metric.name, slot);
      } else {
        const reason = conflictReason(slot.metric, metric);
        if (reason !== undefined) {
          conflicts.push({ name: metric.name, reason });
          continue;
        }
      }
      for (const series of metric.series) mergeSeries(slot, metric, series, snapshot.timestampMs);
    }
  }
  const metrics = [...slots.values()].map((slot) => {
    slot.metric.series = [...slot.series.values()] as never;
    return slot.metric;
  });
  const merged: Snapshot = { version: 1, timestampMs, sources, metrics };
  if (conflicts.length > 0) merged.conflicts = conflicts;
  return merged;
}

function conflictReason(a: MetricSnapshot, b: MetricSnapshot): MergeConflict['reason'] | undefined {
  if (a.type !== b.type) return 'type';
  if (a.labelNames.join('\n') !== b.labelNames.join('\n')) return 'labels';
  if (a.type === 'gauge' && b.type === 'gauge' && a.merge !== b.merge) return 'merge';
  if (a.type === 'histogram' && b.type === 'histogram') {
    if (a.buckets.join() !== b.buckets.join()) return 'buckets';
    if (a.sketch?.relativeAccuracy !== b.sketch?.relativeAccuracy) return 'sketch';
  }
  return undefined;
}

function mergeSeries(slot: MergeSlot, metric: MetricSnapshot, incoming: SeriesSnapshot, timestampMs: number): void {
  const key = JSON.stringify(incoming.labels);
  const current = slot.series.get(key);
  if (current === undefined) {
    // Series hold only numbers, strings and arrays of them: structuredClone is exact.
    slot.series.set(key, structuredClone(incoming));
    slot.seenAtMs.set(key, timestampMs);
    return;
  }
  switch (metric.type) {
    case 'counter':
      (current as CounterSeriesSnapshot).value += (incoming as CounterSeriesSnapshot).value;
      return;
    case 'gauge': {
      const target = current as GaugeSeriesSnapshot;
      const newer = timestampMs >= (slot.seenAtMs.get(key) ?? -Infinity);
      const value = decodeNumber((incoming as GaugeSeriesSnapshot).value);
      target.value = encodeNumber(combineGauge(metric.merge, decodeNumber(target.value), value, newer));
      if (newer) slot.seenAtMs.set(key, timestampMs);
      return;
    }
    case 'histogram':
      mergeHistogramSeries(current as HistogramSeriesSnapshot, incoming as HistogramSeriesSnapshot, metric.sketch);
  }
}

function combineGauge(mode: GaugeMerge, a: number, b: number, bIsNewer: boolean): number {
  switch (mode) {
    case 'sum':
      return a + b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'last':
      return bIsNewer ? b : a;
  }
}

function mergeHistogramSeries(
  target: HistogramSeriesSnapshot,
  incoming: HistogramSeriesSnapshot,
  sketchOptions: Required<SketchOptions> | null,
): void {
  incoming.counts.forEach((c, i) => {
    target.counts[i] = (target.counts[i] ?? 0) + c;
  });
  target.sum += incoming.sum;
  if (target.sketch === undefined || incoming.sketch === undefined || sketchOptions === null) {
    delete target.sketch;
    return;
  }
  const sketch = Sketch.fromState(target.sketch, sketchOptions);
  target.sketch = sketch.merge(Sketch.fromState(incoming.sketch, sketchOptions)).toState();
}
