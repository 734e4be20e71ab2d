import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { alignWindow, checkPointBudget, MAX_POINTS, statsWindow } from './window.js';

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

describe('statsWindow', () => {
  const now = t('2026-11-20T10:20:00Z');
  const iso = (w: { fromMs: number; toMs: number }) => [new Date(w.fromMs).toISOString(), new Date(w.toMs).toISOString()];

  it('defaults to the current hour and the 23 before it', () => {
    expect(iso(statsWindow({}, now, 'hour'))).toEqual(['2026-11-19T11:00:00.000Z', '2026-11-20T11:00:00.000Z']);
    expect(statsWindow({}, now, 'hour').buckets).toBe(24);
  });

  it('widens given bounds to whole hours or days', () => {
    expect(iso(statsWindow({ from: '2026-11-01T10:15:00Z', to: '2026-11-02T09:00:00Z' }, now, 'hour'))).toEqual(['2026-11-01T10:00:00.000Z', '2026-11-02T09:00:00.000Z']);
    expect(iso(statsWindow({ from: '2026-11-01T10:15:00Z' }, now, 'day'))).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-21T00:00:00.000Z']);
  });

  it.each([
    [{ from: '2026-11-20T00:00:00Z', to: '2026-11-19T00:00:00Z' }, /earlier/],
    [{ from: '2026-11-20T00:00:00Z', to: '2026-11-20T00:00:00Z' }, /earlier/],
    [{ from: '2026-08-01T00:00:00Z', to: '2026-11-20T00:00:00Z' }, /92 days/],
  ])('refuses %j with a 422', (query, message) => {
    expect(() => statsWindow(query, now, 'hour')).toThrow(message);
  });

  it('accepts exactly 92 days, which whole hours may widen by less than two hours', () => {
    const w = statsWindow({ from: '2026-08-20T10:30:00Z', to: '2026-11-20T10:30:00Z' }, now, 'hour');
    expect(w.toMs - w.fromMs).toBe(92 * 86_400_000 + 3_600_000);
  });
});
