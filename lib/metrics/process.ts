import type { IntervalHistogram } from 'node:perf_hooks';
import type { Registry } from './registry.js';

/**
 * Process gauges: resident memory, heap used, start time, uptime and
 * event-loop lag. Node-aware but feature-detected: nothing here is imported
 * from Node at load time, so the module loads on Edge and registers only what
 * the runtime offers (uptime at least).
 */

/** The parts of Node's `process` this module reads; all optional. */
export interface ProcessLike {
  memoryUsage?: (() => { rss: number; heapUsed: number }) & { rss?: () => number };
  uptime?: () => number;
  getBuiltinModule?: (id: string) => unknown;
}

/** Options of {@link registerProcessMetrics}. */
export interface ProcessMetricsOptions {
  /**
   * The process to read; `null` stands for a runtime without one (Edge).
   * @default globalThis.process
   */
  process?: ProcessLike | null;
  /**
   * Sampling resolution of the event-loop delay monitor, in milliseconds.
   * @default 20
   */
  eventLoopResolutionMs?: number;
}

/** Handle on the registered process gauges. */
export interface ProcessMetrics {
  /** Names of the gauges registered in this runtime. */
  readonly names: readonly string[];
  /** Stops the event-loop delay monitor (the gauges stay, frozen). */
  stop(): void;
}

type PerfHooks = { monitorEventLoopDelay?: (options: { resolution: number }) => IntervalHistogram };

/** Registers the process gauges that this runtime supports. */
export function registerProcessMetrics(registry: Registry, options: ProcessMetricsOptions = {}): ProcessMetrics {
  const proc =
    options.process === undefined ? (globalThis as { process?: ProcessLike }).process : (options.process ?? undefined);
  const names: string[] = [];
  const clock = registry.clock;
  let stop = () => {};

  const memoryUsage = proc?.memoryUsage;
  if (typeof memoryUsage === 'function') {
    const rss = typeof memoryUsage.rss === 'function' ? memoryUsage.rss : () => memoryUsage().rss;
    registry.gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory of the process.',
      merge: 'sum',
      collect: (gauge) => gauge.set(rss()),
    });
    registry.gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use.',
      merge: 'sum',
      collect: (gauge) => gauge.set(memoryUsage().heapUsed),
    });
    names.push('process_resident_memory_bytes', 'nodejs_heap_used_bytes');
  }

  // Start time from the runtime's own uptime when it has one, else from now
  // (on Edge: since this isolate loaded the module). Uptime then follows the
  // registry clock, so tests can move it.
  const uptimeSeconds = typeof proc?.uptime === 'function' ? proc.uptime() : 0;
  const startMs = clock.nowMs() - uptimeSeconds * 1000;
  registry.gauge({ name: 'process_start_time_seconds', help: 'Start time of the process, Unix seconds.', merge: 'min' }).set(
    startMs / 1000,
  );
  registry.gauge({
    name: 'process_uptime_seconds',
    help: 'Time since the process started.',
    merge: 'max',
    collect: (gauge) => gauge.set((clock.nowMs() - startMs) / 1000),
  });
  names.push('process_start_time_seconds', 'process_uptime_seconds');

  const perfHooks = getBuiltin<PerfHooks>(proc, 'node:perf_hooks');
  if (typeof perfHooks?.monitorEventLoopDelay === 'function') {
    const monitor = perfHooks.monitorEventLoopDelay({ resolution: options.eventLoopResolutionMs ?? 20 });
    monitor.enable();
    stop = () => monitor.disable();
    const p99 = registry.gauge({
      name: 'nodejs_eventloop_lag_p99_seconds',
      help: 'Event-loop delay, 99th percentile since the previous scrape.',
      merge: 'max',
    });
    const max = registry.gauge({
      name: 'nodejs_eventloop_lag_max_seconds',
      help: 'Event-loop delay, maximum since the previous scrape.',
      merge: 'max',
    });
    // One collect reads the monitor for all three gauges and resets it, so
    // each scrape reports the interval since the previous one. The registry
    // runs every collect before reading any value, so p99 and max are current.
    registry.gauge({
      name: 'nodejs_eventloop_lag_p50_seconds',
      help: 'Event-loop delay, median since the previous scrape.',
      merge: 'max',
      collect: (p50) => {
        if (monitor.count === 0) return;
        p50.set(monitor.percentile(50) / 1e9);
        p99.set(monitor.percentile(99) / 1e9);
        max.set(monitor.max / 1e9);
        monitor.reset();
      },
    });
    names.push('nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds', 'nodejs_eventloop_lag_p50_seconds');
  }

  return { names, stop: () => stop() };
}

/** `process.getBuiltinModule` (Node ≥ 20.16) avoids a static import Edge bundlers would reject. */
function getBuiltin<T>(proc: ProcessLike | undefined, id: string): T | undefined {
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  try {
    return proc.getBuiltinModule(id) as T | undefined;
  } catch {
    return undefined;
  }
}
