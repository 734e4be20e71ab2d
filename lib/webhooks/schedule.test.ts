import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY as POLICY, nextAttemptAt, parseRetryAfter, retryDelayMs } from './schedule.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const T0 = Date.UTC(2026, 11, 1, 9);

/** Attempt times of a delivery that always fails, with a fixed random number, from T0; as offsets in ms. */
function schedule(random: number): number[] {
  const times = [0];
  for (let attempt = 1; ; attempt++) {
    const next = nextAttemptAt(POLICY, { attempt, queuedAtMs: T0, nowMs: T0 + times.at(-1)!, random });
    if (next === null) return times;
    times.push(next - T0);
  }
}

describe('the retry schedule', () => {
  it('doubles from 30 s, caps the delay at 4 h and makes the last of 15 attempts at the 24 h mark (no jitter)', () => {
    expect(schedule(0.5)).toEqual([
      0,
      30 * S,
      90 * S,
      3 * M + 30 * S,
      7 * M + 30 * S,
      15 * M + 30 * S,
      31 * M + 30 * S,
      63 * M + 30 * S,
      127 * M + 30 * S,
      255 * M + 30 * S,
      495 * M + 30 * S,
      735 * M + 30 * S,
      975 * M + 30 * S,
      1215 * M + 30 * S,
      24 * H,
    ]);
  });

  it('jitters each delay by at most 20% either way', () => {
    for (const attempt of [1, 2, 5, 9, 12]) {
      const plain = retryDelayMs(POLICY, attempt, 0.5);
      expect(retryDelayMs(POLICY, attempt, 0)).toBe(Math.round(Math.min(POLICY.maxDelayMs, plain * 0.8)));
      expect(retryDelayMs(POLICY, attempt, 0.999999)).toBeLessThanOrEqual(Math.min(POLICY.maxDelayMs, Math.round(plain * 1.2)));
      expect(retryDelayMs(POLICY, attempt, 0.999999)).toBeGreaterThan(plain * 1.19 > POLICY.maxDelayMs ? POLICY.maxDelayMs - 1 : plain * 1.19);
    }
  });

  it('never schedules past 24 h or beyond 15 attempts, whatever the jitter', () => {
    for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
      const times = schedule(random);
      expect(times.length).toBeLessThanOrEqual(15);
      expect(times.at(-1)).toBeLessThanOrEqual(24 * H);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
    }
    expect(nextAttemptAt(POLICY, { attempt: 15, queuedAtMs: T0, nowMs: T0 + H, random: 0.5 })).toBeNull();
    expect(nextAttemptAt(POLICY, { attempt: 2, queuedAtMs: T0, nowMs: T0 + 24 * H, random: 0.5 })).toBeNull();
  });

  it("honours a receiver's longer Retry-After, up to the 4 h cap and the 24 h mark", () => {
    expect(nextAttemptAt(POLICY, { attempt: 1, queuedAtMs: T0, nowMs: T0, random: 0.5, retryAfterMs: 120 * S })).toBe(T0 + 120 * S);
    expect(nextAttemptAt(POLICY, { attempt: 1, queuedAtMs: T0, nowMs: T0, random: 0.5, retryAfterMs: 5 * S })).toBe(T0 + 30 * S);
    expect(nextAttemptAt(POLICY, { attempt: 1, queuedAtMs: T0, nowMs: T0, random: 0.5, retryAfterMs: 48 * H })).toBe(T0 + 4 * H);
    expect(nextAttemptAt(POLICY, { attempt: 3, queuedAtMs: T0, nowMs: T0 + 23 * H, random: 0.5, retryAfterMs: 2 * H })).toBe(T0 + 24 * H);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores anything else', () => {
    expect(parseRetryAfter('120', T0)).toBe(120 * S);
    expect(parseRetryAfter(new Date(T0 + 90 * S).toUTCString(), T0)).toBe(90 * S);
    expect(parseRetryAfter(new Date(T0 - 90 * S).toUTCString(), T0)).toBe(0);
    for (const bad of [null, undefined, '', 'soon', '-5', '1.5']) expect(parseRetryAfter(bad, T0)).toBeNull();
  });
});
