/**
 * Node-only (node:perf_hooks, node:os). What the machine did while a phase
 * ran, measured beside it: the 1-minute load average at the start and the end
 * (runnable processes, neighbours included), and how late this process's event
 * loop ran its timers (`monitorEventLoopDelay`). The delay counts everything
 * that kept the loop busy: CPU taken by neighbours, GC pauses, and this
 * process's own work, which with no BENCHMARK_URL is the load generator's and
 * the server's together (a handler that blocks shows here too). So it is
 * waiting that every request of the phase may include, not proof that the
 * machine rather than the API was slow: a high load average beside it points
 * at neighbours, a low one at this process. The report prints both beside a
 * failed check for the reader to judge, never to excuse the failure.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What {@link startNoiseProbe} measured. */
export interface NoiseReading {
  /** How late the event loop's samples ran over the phase, ms (0: on time). */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** 1-minute load average at the start and the end; null where the OS has none (Windows). */
  loadAverage1m: { start: number; end: number } | null;
}

/** Options of {@link startNoiseProbe}. */
export interface NoiseProbeOptions {
  /**
   * Sampling interval of the event-loop delay histogram, ms.
   * @default 10
   */
  resolutionMs?: number;
}

/** A running probe; `stop` ends it and returns the reading. */
export interface NoiseProbe {
  stop(): NoiseReading;
}

/** Starts measuring event-loop delay and notes the load average. */
export function startNoiseProbe(options: NoiseProbeOptions = {}): NoiseProbe {
  const resolutionMs = options.resolutionMs ?? 10;
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  // The histogram records the whole interval between samples; the delay is what exceeds the resolution.
  const delayMs = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - resolutionMs) : 0);
  histogram.enable();
  const loadStart = loadavg()[0] ?? 0;
  let reading: NoiseReading | null = null;
  return {
    stop() {
      if (reading !== null) return reading;
      histogram.disable();
      const loadEnd = loadavg()[0] ?? 0;
      // os.loadavg() is [0, 0, 0] on Windows: no load average rather than a false zero.
      const hasLoad = loadStart > 0 || loadEnd > 0;
      const empty = histogram.count === 0;
      reading = {
        eventLoopDelayMs: {
          p50: empty ? 0 : delayMs(histogram.percentile(50)),
          p99: empty ? 0 : delayMs(histogram.percentile(99)),
          max: empty ? 0 : delayMs(histogram.max),
        },
        loadAverage1m: hasLoad ? { start: loadStart, end: loadEnd } : null,
      };
      return reading;
    },
  };
}
