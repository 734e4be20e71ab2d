/**
 * Stages as k6 has them: each stage moves a target (virtual users, or
 * requests per second) linearly from where the previous stage ended to its
 * own `target` over `durationMs`. Pure arithmetic.
 */

/** One stage of a ramp. */
export interface Stage {
  durationMs: number;
  /** Value reached at the end of the stage (VUs, or requests per second). */
  target: number;
}

/** Sum of the stage durations. */
export function totalDurationMs(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/**
 * Every stage's duration multiplied by `factor` (`--scale 0.1`), at least 1 ms each.
 * @throws RangeError unless factor is a positive finite number.
 */
export function scaleStages(stages: readonly Stage[], factor: number): Stage[] {
  if (!(factor > 0) || !Number.isFinite(factor)) throw new RangeError(`--scale must be a positive number, got ${factor}`);
  return stages.map((s) => ({ durationMs: Math.max(1, Math.round(s.durationMs * factor)), target: s.target }));
}

/** Checks stages once, with a message naming what is wrong. */
export function validateStages(start: number, stages: readonly Stage[], what: string): void {
  if (!(start >= 0) || !Number.isFinite(start)) throw new RangeError(`${what}: the start value must be >= 0, got ${start}`);
  if (stages.length === 0) throw new RangeError(`${what}: at least one stage is needed`);
  for (const [i, s] of stages.entries()) {
    if (!(s.durationMs > 0) || !Number.isFinite(s.durationMs)) throw new RangeError(`${what}: stage ${i + 1} needs a positive duration`);
    if (!(s.target >= 0) || !Number.isFinite(s.target)) throw new RangeError(`${what}: stage ${i + 1} needs a target >= 0`);
  }
}

/** The ramped value `elapsedMs` into the stages (the last target after the end). */
export function valueAt(start: number, stages: readonly Stage[], elapsedMs: number): number {
  let from = start;
  let t = Math.max(0, elapsedMs);
  for (const stage of stages) {
    if (t < stage.durationMs) return from + ((stage.target - from) * t) / stage.durationMs;
    t -= stage.durationMs;
    from = stage.target;
  }
  return from;
}

/**
 * When each request of an open-model run is due, for a rate (per second) that
 * ramps through `stages`: request i is due when the integral of the rate
 * reaches i. Within a stage going from r0 to r1 over D seconds the count after
 * t seconds is r0·t + (r1−r0)·t²/(2D), so request k of the stage is due at
 * t = 2k / (r0 + √(r0² + 2k(r1−r0)/D)), a form that stays exact when r1 = r0.
 */
export class ArrivalSchedule {
  private readonly stages: { startMs: number; durationS: number; from: number; to: number; firstIndex: number; count: number }[] = [];
  /** Requests due over the whole schedule (fractional). */
  readonly expectedCount: number;
  readonly durationMs: number;

  constructor(startRate: number, stages: readonly Stage[]) {
    validateStages(startRate, stages, 'arrival-rate stages');
    let from = startRate;
    let startMs = 0;
    let firstIndex = 0;
    for (const s of stages) {
      const durationS = s.durationMs / 1000;
      const count = ((from + s.target) / 2) * durationS;
      this.stages.push({ startMs, durationS, from, to: s.target, firstIndex, count });
      firstIndex += count;
      startMs += s.durationMs;
      from = s.target;
    }
    this.expectedCount = firstIndex;
    this.durationMs = startMs;
  }

  /** Offset (ms from the start) at which request `i` (0-based) is due, or null when it falls after the end. */
  timeOf(i: number): number | null {
    for (const s of this.stages) {
      if (i >= s.firstIndex + s.count) continue;
      const k = i - s.firstIndex;
      if (k <= 0) return s.startMs;
      const discriminant = s.from * s.from + (2 * k * (s.to - s.from)) / s.durationS;
      const seconds = (2 * k) / (s.from + Math.sqrt(Math.max(0, discriminant)));
      return s.startMs + Math.min(seconds, s.durationS) * 1000;
    }
    return null;
  }

  /** The rate (per second) at `elapsedMs`. */
  rateAt(elapsedMs: number): number {
    const first = this.stages[0];
    return valueAt(first?.from ?? 0, this.stages.map((s) => ({ durationMs: s.durationS * 1000, target: s.to })), elapsedMs);
  }
}
