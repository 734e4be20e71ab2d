export { COARSE_WIDTH, GAMMA, LANE_DIGITS, MAX_LANE, MIN_LATENCY_MS, RELATIVE_ERROR, laneBounds, laneOf, laneValue, nearestRank } from './histogram.js';
export { alignWindow, checkPointBudget, DEFAULT_RANGE_MS, INTERVAL_MS, MAX_POINTS, MAX_RANGE_MS, statsWindow, type AlignedWindow, type Interval } from './window.js';
export { toSeries, type Series, type SeriesPoint } from './series.js';
export { backfillRollups, type BackfillRollupsOptions, type BackfillRollupsResult } from './backfill.js';
