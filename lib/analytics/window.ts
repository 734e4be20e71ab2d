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

/** The widest window a stats query may ask for (before it is widened to whole buckets). */
export const MAX_RANGE_MS = 92 * INTERVAL_MS.day;

/** The window a stats query gets without `from`: 24 hours. */
export const DEFAULT_RANGE_MS = INTERVAL_MS.day;

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
 * The window a stats request reads: `from` and `to` as given (or `to` = now
 * and `from` = 24 hours before the end of the current bucket), checked
 * (`from` before `to`, at most 92 days apart) and widened to whole UTC
 * buckets, so it is answered from rollup rows alone. Without `from` or `to`
 * it is the current bucket and the ones before it back to 24 hours: for
 * hours, the current hour and the 23 before it.
 * @throws HttpError 422 naming the parameter.
 */
export function statsWindow(query: { from?: string | undefined; to?: string | undefined }, nowMs: number, interval: Interval): AlignedWindow {
  const step = INTERVAL_MS[interval];
  const toMs = query.to === undefined ? nowMs : Date.parse(query.to);
  const fromMs = query.from === undefined ? Math.ceil(toMs / step) * step - DEFAULT_RANGE_MS : Date.parse(query.from);
  if (fromMs >= toMs) throw unprocessable('`from` must be earlier than `to`.', [{ path: 'from', code: 'custom', message: 'must be earlier than to' }]);
  if (toMs - fromMs > MAX_RANGE_MS) {
    throw unprocessable('The range between `from` and `to` is at most 92 days.', [{ path: 'from', code: 'custom', message: 'range exceeds 92 days' }]);
  }
  return alignWindow(fromMs, toMs, interval);
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
