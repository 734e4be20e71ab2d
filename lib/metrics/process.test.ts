import { describe, expect, it } from 'vitest';
import { registerProcessMetrics } from './process.js';
import { createRegistry } from './registry.js';
import type { GaugeSnapshot, Snapshot } from './snapshot.js';

function gaugeValue(snapshot: Snapshot, name: string): unknown {
  return (snapshot.metrics.find((m) => m.name === name) as GaugeSnapshot | undefined)?.series[0]?.value;
}

describe('registerProcessMetrics', () => {
  it('registers memory, uptime and event-loop lag gauges on Node and reads them at snapshot time', async () => {
    const registry = createRegistry();
    const handle = registerProcessMetrics(registry, { eventLoopResolutionMs: 10 });
    try {
      expect(handle.names).toEqual([
        'process_resident_memory_bytes',
        'nodejs_heap_used_bytes',
        'process_start_time_seconds',
        'process_uptime_seconds',
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_eventloop_lag_max_seconds',
        'nodejs_eventloop_lag_p50_seconds',
      ]);
      // Give the delay monitor a few samples (a wait on the real loop: what it measures).
      await new Promise((resolve) => setTimeout(resolve, 60));
      const snapshot = registry.snapshot();
      expect(gaugeValue(snapshot, 'process_resident_memory_bytes')).toBeGreaterThan(1_000_000);
      expect(gaugeValue(snapshot, 'nodejs_heap_used_bytes')).toBeGreaterThan(100_000);
      expect(gaugeValue(snapshot, 'process_uptime_seconds')).toBeGreaterThan(0);
      expect(gaugeValue(snapshot, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThan(0);
      const p50 = gaugeValue(snapshot, 'nodejs_eventloop_lag_p50_seconds') as number;
      expect(p50).toBeLessThanOrEqual(gaugeValue(snapshot, 'nodejs_eventloop_lag_p99_seconds') as number);
    } finally {
      handle.stop();
    }
  });

  it('registers only uptime and start time where there is no process (Edge), timed by the registry clock', () => {
    const clock = { now: 1_700_000_000_000 };
    const registry = createRegistry({ clock: { nowMs: () => clock.now } });
    const handle = registerProcessMetrics(registry, { process: null });
    expect(handle.names).toEqual(['process_start_time_seconds', 'process_uptime_seconds']);
    clock.now += 90_000;
    const snapshot = registry.snapshot();
    expect(gaugeValue(snapshot, 'process_uptime_seconds')).toBe(90);
    expect(gaugeValue(snapshot, 'process_start_time_seconds')).toBe(1_700_000_000);
    handle.stop();
  });

  it('uses what a partial process offers and skips the rest', () => {
    const registry = createRegistry({ clock: { nowMs: () => 10_000 } });
    const handle = registerProcessMetrics(registry, {
      process: { uptime: () => 4, getBuiltinModule: () => undefined },
    });
    expect(handle.names).toEqual(['process_start_time_seconds', 'process_uptime_seconds']);
    expect(gaugeValue(registry.snapshot(), 'process_uptime_seconds')).toBe(4);
  });
});
