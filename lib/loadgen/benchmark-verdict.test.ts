import { describe, expect, it } from 'vitest';
import type { PhaseName, PhaseResult, Variant } from './benchmark.js';
import {
  autoRate,
  closestCall,
  DEFAULT_RATE_PER_S,
  latencyMargins,
  noiseWords,
  rateHeadroom,
  rateLine,
  resolveRate,
  verdictNotes,
  type RateHeadroom,
} from './benchmark-verdict.js';
import type { NoiseReading } from './machine-noise.js';
import { syntheticPhase } from './test-support.js';

/** A phase of `count` requests over `seconds` (throughput count ÷ seconds), latency `baseMs` + 0..9 ms (p99 ≈ baseMs + 9). */
function phase(
  name: PhaseName,
  o: { variant?: Variant; count?: number; seconds?: number; baseMs?: number; ratePerS?: number; noise?: NoiseReading | null },
): PhaseResult {
  const run = { count: o.count ?? 200, seconds: o.seconds ?? 4, baseMs: o.baseMs ?? 2, xCache: 'HIT-L1' };
  return syntheticPhase(name, { variant: o.variant, run, ratePerS: o.ratePerS ?? DEFAULT_RATE_PER_S, noise: o.noise });
}

const quiet: NoiseReading = { eventLoopDelayMs: { p50: 0.1, p99: 2.5, max: 8 }, loadAverage1m: { start: 1.2, end: 1.4 } };
const busy: NoiseReading = { eventLoopDelayMs: { p50: 3, p99: 180, max: 420 }, loadAverage1m: { start: 2.1, end: 5.35 } };

describe('resolveRate', () => {
  it.each([
    [undefined, { ratePerS: DEFAULT_RATE_PER_S, source: 'default' }],
    [37, { ratePerS: 37, source: 'given' }],
    [0.5, { ratePerS: 0.5, source: 'given' }],
    ['auto' as const, { ratePerS: 'auto', source: 'auto' }],
  ])('takes %s as %o', (requested, expected) => {
    expect(resolveRate(requested)).toEqual(expected);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s, naming the option', (requested) => {
    expect(() => resolveRate(requested)).toThrow(/ratePerS must be a positive number or "auto"/);
  });
});

describe('autoRate', () => {
  it.each([
    [0, 1],
    [1, 1],
    [3, 2],
    [2249.1, 1125],
    [3887, 1944],
  ])('asks for half of %s req/s: %s', (throughput, rate) => {
    expect(autoRate(throughput)).toBe(rate);
  });
});

describe('rateHeadroom', () => {
  it.each([
    // concurrent throughput 1,000 req/s (4,000 in 4 s)
    { name: 'far below capacity', closed: [phase('concurrent', { count: 4000 })], rate: 200, phase: 'concurrent', fraction: 0.2, near: false },
    { name: 'at exactly half (not yet near)', closed: [phase('concurrent', { count: 4000 })], rate: 500, phase: 'concurrent', fraction: 0.5, near: false },
    { name: 'above half', closed: [phase('concurrent', { count: 4000 })], rate: 800, phase: 'concurrent', fraction: 0.8, near: true },
    { name: 'beyond capacity', closed: [phase('concurrent', { count: 4000 })], rate: 2000, phase: 'concurrent', fraction: 2, near: true },
    // sequential only: 100 req/s
    {
      name: 'against the sequential phase when no concurrent one ran',
      closed: [phase('sequential', { count: 400 })],
      rate: 20,
      phase: 'sequential',
      fraction: 0.2,
      near: false,
    },
    {
      name: 'the concurrent phase first when both ran',
      closed: [phase('sequential', { count: 400 }), phase('concurrent', { count: 4000 })],
      rate: 200,
      phase: 'concurrent',
      fraction: 0.2,
      near: false,
    },
  ])('$name', ({ closed, rate, phase: against, fraction, near }) => {
    const [h] = rateHeadroom([...closed, phase('rate', { ratePerS: rate })]);
    expect(h?.capacity?.phase).toBe(against);
    expect(h?.fraction).toBeCloseTo(fraction, 6);
    expect(h?.nearCapacity).toBe(near);
  });

  it('has no capacity without a closed phase, and nothing without a rate phase', () => {
    expect(rateHeadroom([phase('rate', {})])).toEqual([
      { variant: 'cached', ratePerS: DEFAULT_RATE_PER_S, capacity: null, fraction: null, nearCapacity: false },
    ]);
    expect(rateHeadroom([phase('concurrent', {})])).toEqual([]);
  });

  it('compares each variant with its own closed phase', () => {
    const rows = rateHeadroom([
      phase('concurrent', { variant: 'baseline', count: 1200 }),
      phase('rate', { variant: 'baseline', ratePerS: 200 }),
      phase('concurrent', { count: 40_000 }),
      phase('rate', { ratePerS: 200 }),
    ]);
    expect(rows.map((r) => [r.variant, r.fraction === null ? null : Number(r.fraction.toFixed(3)), r.nearCapacity])).toEqual([
      ['baseline', 0.667, true],
      ['cached', 0.02, false],
    ]);
  });
});

describe('latencyMargins and closestCall', () => {
  it('gives each cached latency check the share of its limit it used, skipping baseline phases and other metrics', () => {
    const margins = latencyMargins([
      phase('concurrent', { variant: 'baseline', baseMs: 500 }),
      phase('concurrent', { baseMs: 21 }),
      phase('rate', { baseMs: 91 }),
    ]);
    expect(margins.map((m) => [m.phase, m.check, m.actualMs, m.limitMs, Number(m.used.toFixed(3)), m.pass])).toEqual([
      ['concurrent', 'http_req_duration: p(95)<150', 30, 150, 0.2, true],
      ['concurrent', 'http_req_duration: p(99)<200', 30, 200, 0.15, true],
      ['rate', 'http_req_duration: p(95)<150', 100, 150, 0.667, true],
      ['rate', 'http_req_duration: p(99)<200', 100, 200, 0.5, true],
    ]);
    expect(closestCall(margins)).toMatchObject({ phase: 'rate', check: 'http_req_duration: p(95)<150' });
  });

  it.each([
    { name: 'a pass far from the limit', baseMs: 1, used: 0.067, pass: true },
    { name: 'a fail beyond it', baseMs: 291, used: 2, pass: false },
  ])('closest call: $name', ({ baseMs, used, pass }) => {
    const c = closestCall(latencyMargins([phase('sequential', { baseMs })]));
    expect(Number(c?.used.toFixed(3))).toBe(used);
    expect(c?.pass).toBe(pass);
  });

  it('is null when no latency check has data', () => {
    expect(closestCall([])).toBeNull();
  });
});

describe('rateLine', () => {
  const headroom: RateHeadroom = {
    variant: 'cached',
    ratePerS: 200,
    capacity: { phase: 'concurrent', throughputPerS: 2249.1 },
    fraction: 200 / 2249.1,
    nearCapacity: false,
  };
  it.each([
    {
      source: 'default' as const,
      h: headroom,
      line: "rate phase: 200 req/s, the default fixed rate (--rate or BENCHMARK_RATE to change); 8.9% of the 2,249 req/s the concurrent phase reached: its verdict does not depend on the closed phases' throughput",
    },
    {
      source: 'given' as const,
      h: null,
      line: "rate phase: 200 req/s, a fixed rate given with --rate or BENCHMARK_RATE: its verdict does not depend on the closed phases' throughput",
    },
    {
      source: 'auto' as const,
      h: { ...headroom, ratePerS: 1125, fraction: 1125 / 2249.1 },
      line: 'rate phase: 1,125 req/s, half a measured throughput (--rate auto); 50.0% of the 2,249 req/s the concurrent phase reached: a capacity probe, whose verdict moves with how fast that phase ran',
    },
  ])('says where a $source rate came from', ({ source, h, line }) => {
    expect(rateLine(source, h?.ratePerS ?? 200, h)).toBe(line);
  });

  it('is null when the rate phase did not run', () => {
    expect(rateLine('default', null, null)).toBeNull();
  });
});

describe('noiseWords', () => {
  it.each([
    [quiet, "load average 1.20 → 1.40, this process's event-loop delay (its own work included) p99 2.50 ms, max 8.00 ms"],
    [{ ...busy, loadAverage1m: null }, "load average -, this process's event-loop delay (its own work included) p99 180 ms, max 420 ms"],
  ])('puts a reading in words (%#)', (reading, words) => {
    expect(noiseWords(reading)).toBe(words);
  });
});

describe('verdictNotes', () => {
  it.each([
    { name: 'a comfortable pass at a low rate', phases: [phase('concurrent', { count: 8000 }), phase('rate', { ratePerS: 200, noise: quiet })], notes: [] },
    {
      name: 'a rate above half the measured throughput',
      phases: [phase('concurrent', { count: 1200 }), phase('rate', { ratePerS: 200 })],
      notes: [
        'The rate phase asked for 66.7% of the 300 req/s the concurrent phase reached: near capacity, requests queue whenever other work takes CPU, so its latency (and verdict) moves with the machine; a lower --rate judges the API at a steady load.',
      ],
    },
    {
      name: 'a pass that used more than half of a limit',
      phases: [phase('sequential', { baseMs: 111 })],
      notes: [
        'sequential: http_req_duration: p(95)<150 passed at 120 ms, 80% of the limit: close enough that noise on this machine could flip it.',
        'sequential: http_req_duration: p(99)<200 passed at 120 ms, 60% of the limit: close enough that noise on this machine could flip it.',
      ],
    },
    {
      name: 'a failed check, beside what the machine did meanwhile',
      phases: [phase('concurrent', { count: 80_000, baseMs: 1 }), phase('rate', { ratePerS: 200, baseMs: 241, noise: busy })],
      notes: [
        "rate: http_req_duration: p(95)<150 at 250 ms, http_req_duration: p(99)<200 at 250 ms (p99 from send 250 ms, late 0) failed while the machine showed load average 2.10 → 5.35, this process's event-loop delay (its own work included) p99 180 ms, max 420 ms.",
      ],
    },
    { name: 'a failed check with no reading of the machine', phases: [phase('sequential', { baseMs: 291 })], notes: [] },
  ])('$name', ({ phases, notes }) => {
    expect(verdictNotes(phases)).toEqual(notes);
  });
});
