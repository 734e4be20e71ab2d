import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startNoiseProbe } from './machine-noise.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startNoiseProbe', () => {
  it('sees the event loop held up by work that does not yield', async () => {
    const probe = startNoiseProbe({ resolutionMs: 5 });
    await sleep(100);
    const until = performance.now() + 120;
    while (performance.now() < until); // the event loop is blocked for 120 ms
    await sleep(100);
    const reading = probe.stop();
    expect(reading.eventLoopDelayMs.max).toBeGreaterThanOrEqual(100);
    expect(reading.eventLoopDelayMs.p50).toBeLessThan(reading.eventLoopDelayMs.max);
  });

  it('reports the delay beyond the sampling interval, not the interval itself', async () => {
    const probe = startNoiseProbe({ resolutionMs: 20 });
    await sleep(300);
    // An idle loop samples every 20 ms; what it reports is how late those samples ran.
    expect(probe.stop().eventLoopDelayMs.p50).toBeLessThan(20);
  });

  it.skipIf(platform() === 'win32')('notes the load average at the start and the end', async () => {
    const probe = startNoiseProbe();
    await sleep(20);
    const { loadAverage1m } = probe.stop();
    expect(loadAverage1m).not.toBeNull();
    expect(loadAverage1m!.start).toBeGreaterThanOrEqual(0);
  });

  it('returns the same reading when stopped twice', async () => {
    const probe = startNoiseProbe();
    await sleep(20);
    const first = probe.stop();
    await sleep(20);
    expect(probe.stop()).toBe(first);
  });
});
