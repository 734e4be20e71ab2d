import { unprocessable } from '../errors.js';

/**
 * Time-series windows: UTC hours or days, widened to whole buckets, and the
 * point budget that keeps one response bounded. The SQL function
 * `get_stats_timeseries` aligns the same way; the route checks the budget
 * before any database work.
 */

export type Interval = 'hour' | 'day';

export const INTERVAL_MS: Readonly<Record<Interval, number>> = { hour: 3_600_000, day: 86_400_000 };

/** Most points (buckets × series) one time series answers with. */
export const MAX_POINTS = 2500;

export interface AlignedWindow {
  /** Start of the first bucket (epoch ms, UTC). */
  fromMs: number;
  /** End of the last bucket, exclusive. */
  toMs: number;
  buckets: number;
}

/**
 * Widens [fromMs, toMs) to whole UTC buckets of `interval`: the start is
 * floored, the end ceiled. Epoch ms are UTC and hours and days divide them
 * evenly (no leap seconds in epoch time), so this is plain arithmetic.
 */
export function alignWindow(fromMs: number, toMs: number, interval: Interval): AlignedWindow {
  const step = INTERVAL_MS[interval];
  const from = Math.floor(fromMs / step) * step;
  const to = Math.ceil(toMs / step) * step;
  return { fromMs: from, toMs: to, buckets: (to - from) / step };
}

/**
 * Throws a 422 when `buckets × series` exceeds `MAX_POINTS`, saying what to
 * change.
 */
export function checkPointBudget(window: AlignedWindow, series: number, interval: Interval): void {
  const points = window.buckets * series;
  if (points <= MAX_POINTS) return;
  const hint = interval === 'hour' ? 'use interval=day, a shorter range or a smaller top' : 'use a shorter range or a smaller top';
  throw unprocessable(`This time series would have ${points} points (${window.buckets} buckets × ${series} series); at most ${MAX_POINTS}: ${hint}.`, [
    { path: 'from', code: 'too_big', message: `at most ${MAX_POINTS} points per response` },
  ]);
}
