/**
 * How far to trust a benchmark verdict, as pure functions (issue 10):
 *
 * - the rate phase's arrival rate and where it came from (the default, a given
 *   rate, or `auto`: half a measured throughput, whose verdict moves with it);
 * - the rate as a fraction of the throughput the closed phase reached
 *   (headroom): near capacity, queueing makes latency move with whatever else
 *   the machine does, so the verdict is about the machine as much as the API;
 * - how much of each latency limit a phase used (margin): a pass at 90% of the
 *   limit is one noisy second from a fail, a pass at 3% is not;
 * - for a failed latency check, what the machine was doing meanwhile (this
 *   process's event-loop delay, the load average), so a verdict that changed
 *   between runs says what it measured.
 */
import type { PhaseName, PhaseResult, Variant } from './benchmark.js';
import { ms, num, pct } from './format.js';
import type { NoiseReading } from './machine-noise.js';

/**
 * Arrival rate of the rate phase unless one is given, requests per second: a
 * steady load that one Iris instance serves with room to spare (the local
 * server answered 2,200 to 12,500 cached reads a second on 2 shared cores,
 * depending on its neighbours; a Vercel deployment scales out), so the phase
 * judges latency at a known load rather than finding the capacity, and 12 s
 * of it (2,400 requests) put two dozen samples above the p99. Fixed, so the
 * verdict does not move with what the closed phases measured.
 */
export const DEFAULT_RATE_PER_S = 200;

/**
 * Above this fraction of the measured closed-model throughput, the rate phase
 * is reported as running near capacity: with half the machine's throughput
 * asked for, a neighbour that takes half the CPU leaves no room, requests
 * queue and latency from their scheduled times grows without bound.
 */
export const NEAR_CAPACITY_FRACTION = 0.5;

/**
 * A passing latency check that used more than this fraction of its limit is
 * reported as a close call: the noise seen on a shared 2-core machine (p99
 * moving 10× between runs, issue 10) could flip it.
 */
export const CLOSE_CALL_FRACTION = 0.5;

/** Where the rate phase's arrival rate came from. */
export type RateSource = 'default' | 'given' | 'auto';

/** The rate asked for (a number, `auto`, or nothing) and where it comes from. */
export function resolveRate(requested: number | 'auto' | undefined): { ratePerS: number | 'auto'; source: RateSource } {
  if (requested === undefined) return { ratePerS: DEFAULT_RATE_PER_S, source: 'default' };
  if (requested === 'auto') return { ratePerS: 'auto', source: 'auto' };
  if (!(requested > 0) || !Number.isFinite(requested)) throw new RangeError(`ratePerS must be a positive number or "auto", got ${requested}`);
  return { ratePerS: requested, source: 'given' };
}

/** `--rate auto`: half a measured throughput, at least 1 req/s. */
export function autoRate(throughputPerS: number): number {
  return Math.max(1, Math.round(throughputPerS / 2));
}

/** The closed-model phase a rate is measured against: concurrent, else sequential, of the same variant. */
export function capacityPhase(phases: readonly PhaseResult[], variant: Variant): PhaseResult | null {
  const of = (name: PhaseName) => phases.find((p) => p.variant === variant && p.phase === name && p.summary.overall.requests > 0) ?? null;
  return of('concurrent') ?? of('sequential');
}

/** The rate phase's rate against the throughput a closed phase reached. */
export interface RateHeadroom {
  variant: Variant;
  ratePerS: number;
  /** The closed phase it is compared with, and its throughput; null when none ran. */
  capacity: { phase: PhaseName; throughputPerS: number } | null;
  /** ratePerS ÷ that throughput; null without a capacity. */
  fraction: number | null;
  /** fraction > NEAR_CAPACITY_FRACTION. */
  nearCapacity: boolean;
}

/** One {@link RateHeadroom} per rate phase that ran. */
export function rateHeadroom(phases: readonly PhaseResult[]): RateHeadroom[] {
  return phases.flatMap((p) => {
    if (p.phase !== 'rate' || p.ratePerS === null) return [];
    const c = capacityPhase(phases, p.variant);
    const throughputPerS = c?.summary.overall.throughputPerS ?? 0;
    const capacity = c !== null && throughputPerS > 0 ? { phase: c.phase, throughputPerS } : null;
    const fraction = capacity === null ? null : p.ratePerS / capacity.throughputPerS;
    return [{ variant: p.variant, ratePerS: p.ratePerS, capacity, fraction, nearCapacity: fraction !== null && fraction > NEAR_CAPACITY_FRACTION }];
  });
}

/** How much of a latency limit one phase used. */
export interface LatencyMargin {
  phase: PhaseName;
  /** The check as written: `http_req_duration: p(99)<200`. */
  check: string;
  actualMs: number;
  limitMs: number;
  /** actualMs ÷ limitMs: 0.03 is far from the limit, 0.9 a close call, above 1 a fail. */
  used: number;
  pass: boolean;
}

/** The latency checks (`http_req_duration` below a positive limit) of the cached phases, in phase order. */
export function latencyMargins(phases: readonly PhaseResult[]): LatencyMargin[] {
  return phases
    .filter((p) => p.variant === 'cached')
    .flatMap((p) =>
      p.checks.flatMap((c) => {
        const t = c.threshold;
        if (t.metric !== 'http_req_duration' || (t.operator !== '<' && t.operator !== '<=') || !(t.value > 0) || c.actual === null) return [];
        return [{ phase: p.phase, check: t.source, actualMs: c.actual, limitMs: t.value, used: c.actual / t.value, pass: c.pass }];
      }),
    );
}

/** The latency check that came nearest its limit (or went furthest past it); null when none has data. */
export function closestCall(margins: readonly LatencyMargin[]): LatencyMargin | null {
  return margins.reduce<LatencyMargin | null>((worst, m) => (worst === null || m.used > worst.used ? m : worst), null);
}

const rateWords = (r: RateHeadroom) =>
  r.capacity === null ? '' : `${pct(r.fraction, 1)} of the ${num(r.capacity.throughputPerS, 0)} req/s the ${r.capacity.phase} phase reached`;

/** The report's line on the rate: what it was, where it came from, and how it compares with the measured throughput. */
export function rateLine(source: RateSource, ratePerS: number | null, headroom: RateHeadroom | null): string | null {
  if (ratePerS === null) return null;
  const versus = headroom === null || headroom.capacity === null ? '' : `; ${rateWords(headroom)}`;
  switch (source) {
    case 'default':
      return `rate phase: ${num(ratePerS, 0)} req/s, the default fixed rate (--rate or BENCHMARK_RATE to change)${versus}: its verdict does not depend on the closed phases' throughput`;
    case 'given':
      return `rate phase: ${num(ratePerS, 0)} req/s, a fixed rate given with --rate or BENCHMARK_RATE${versus}: its verdict does not depend on the closed phases' throughput`;
    case 'auto':
      return `rate phase: ${num(ratePerS, 0)} req/s, half a measured throughput (--rate auto)${versus}: a capacity probe, whose verdict moves with how fast that phase ran`;
  }
}

/**
 * What the machine did during a phase, in words:
 * `load average 2.10 → 2.45, this process's event-loop delay (its own work included) p99 12.3 ms, max 40.1 ms`.
 */
export function noiseWords(n: NoiseReading): string {
  const load = n.loadAverage1m === null ? 'load average -' : `load average ${n.loadAverage1m.start.toFixed(2)} → ${n.loadAverage1m.end.toFixed(2)}`;
  return `${load}, this process's event-loop delay (its own work included) p99 ${ms(n.eventLoopDelayMs.p99)} ms, max ${ms(n.eventLoopDelayMs.max)} ms`;
}

/**
 * Notes on how far to trust the verdict: a rate phase near capacity, a
 * passing latency check close to its limit, and, for each failed latency
 * check, what the machine was doing during that phase.
 */
export function verdictNotes(phases: readonly PhaseResult[]): string[] {
  const notes: string[] = [];
  for (const h of rateHeadroom(phases)) {
    if (!h.nearCapacity) continue;
    notes.push(
      `The rate phase${h.variant === 'baseline' ? ' (no cache)' : ''} asked for ${rateWords(h)}: near capacity, requests queue whenever other work takes CPU, ` +
        'so its latency (and verdict) moves with the machine; a lower --rate judges the API at a steady load.',
    );
  }
  for (const m of latencyMargins(phases)) {
    if (m.pass && m.used > CLOSE_CALL_FRACTION) {
      notes.push(
        `${m.phase}: ${m.check} passed at ${ms(m.actualMs)} ms, ${pct(m.used, 0)} of the limit: close enough that noise on this machine could flip it.`,
      );
    }
  }
  for (const p of phases) {
    const failed = latencyMargins([p]).filter((m) => !m.pass);
    if (failed.length === 0 || p.noise === null) continue;
    const what = failed.map((m) => `${m.check} at ${ms(m.actualMs)} ms`).join(', ');
    const service = p.model === 'open' ? ` (p99 from send ${ms(p.summary.overall.serviceLatencyMs?.p99)} ms, late ${num(p.summary.late)})` : '';
    notes.push(`${p.phase}: ${what}${service} failed while the machine showed ${noiseWords(p.noise)}.`);
  }
  return notes;
}
