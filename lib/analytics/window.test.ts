import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { alignWindow, checkPointBudget, MAX_POINTS } from './window.js';

const t = (s: string) => Date.parse(s);

describe('time-series windows', () => {
  it.each([
    ['2026-03-01T10:15:00Z', '2026-03-01T12:00:00Z', 'hour', '2026-03-01T10:00:00.000Z', '2026-03-01T12:00:00.000Z', 2],
    ['2026-03-01T10:15:00Z', '2026-03-01T12:00:01Z', 'hour', '2026-03-01T10:00:00.000Z', '2026-03-01T13:00:00.000Z', 3],
    ['2026-03-01T10:15:00Z', '2026-03-03T00:00:00Z', 'day', '2026-03-01T00:00:00.000Z', '2026-03-03T00:00:00.000Z', 2],
    ['2026-03-01T23:59:59+02:00', '2026-03-02T00:00:00+02:00', 'day', '2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z', 1],
  ] as const)('widens [%s, %s) to whole %s buckets', (from, to, interval, alignedFrom, alignedTo, buckets) => {
    const w = alignWindow(t(from), t(to), interval);
    expect([new Date(w.fromMs).toISOString(), new Date(w.toMs).toISOString(), w.buckets]).toEqual([alignedFrom, alignedTo, buckets]);
  });

  it('accepts up to the point budget and refuses one point more with a 422 that says what to change', () => {
    const w = { fromMs: 0, toMs: 0, buckets: MAX_POINTS / 5 };
    expect(() => checkPointBudget(w, 5, 'hour')).not.toThrow();
    let error: unknown;
    try {
      checkPointBudget({ ...w, buckets: w.buckets + 1 }, 5, 'hour');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(422);
    expect((error as HttpError).message).toMatch(/interval=day/);
  });
});
