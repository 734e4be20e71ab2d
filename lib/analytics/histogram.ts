/**
 * The latency histogram layout the rollups store (supabase/migrations/
 * 0004_analytics.sql), as pure functions. The SQL functions `iris_latency_lane`
 * and `iris_latency_lane_value` compute the same numbers; `histogram.test.ts`
 * holds them to this module, and docs/analytics.md explains the layout.
 *
 * Bucket i holds latencies in (γ^(i-1), γ^i] ms with γ = 1.019 (DDSketch's
 * logarithmic mapping, https://arxiv.org/abs/1908.10693). The estimate of a
 * bucket, 2γ^i/(γ+1), is within (γ-1)/(γ+1) of every latency it holds. Buckets
 * are stored as lanes: lane 0 holds latencies under 1 µs (estimate 0), lanes
 * 1..1339 the buckets i = -367 (1 µs) .. 971 (1 day).
 */

/** Ratio between consecutive bucket bounds. */
export const GAMMA = 1.019;

/** Largest relative error of a bucket's estimate against any latency in it: (γ-1)/(γ+1) ≈ 0.941%. */
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);

/** Latencies below this (ms) fall into lane 0, whose estimate is 0. */
export const MIN_LATENCY_MS = 0.001;

/** The lane of the largest accepted latency, one day (86,400,000 ms). */
export const MAX_LANE = 1339;

/** Lane = bucket index + LANE_OFFSET. */
const LANE_OFFSET = 368;

/** Fine lanes per coarse lane (the coarse histogram that locates a percentile quickly). */
export const COARSE_WIDTH = 32;

/** Decimal digits per lane in the stored numeric: a lane holds counts below 10^12. */
export const LANE_DIGITS = 12;

/** The lane (0..MAX_LANE) of a latency in ms, clamped at both ends. */
export function laneOf(latencyMs: number): number {
  if (!(latencyMs >= MIN_LATENCY_MS)) return 0;
  const lane = Math.ceil(Math.log(latencyMs) / Math.log(GAMMA)) + LANE_OFFSET;
  return Math.min(Math.max(lane, 1), MAX_LANE);
}

/** The estimate (ms) a lane reports: 0 for lane 0, else 2γ^i/(γ+1). Not rounded. */
export function laneValue(lane: number): number {
  if (lane <= 0) return 0;
  return (2 * GAMMA ** (lane - LANE_OFFSET)) / (GAMMA + 1);
}

/** The latencies (ms) a lane holds: (lower, upper]; lane 0 is [0, 1 µs). */
export function laneBounds(lane: number): { lowerMs: number; upperMs: number } {
  if (lane <= 0) return { lowerMs: 0, upperMs: MIN_LATENCY_MS };
  const i = lane - LANE_OFFSET;
  return { lowerMs: GAMMA ** (i - 1), upperMs: GAMMA ** i };
}

/**
 * The nearest-rank quantile of a sample, the definition the rollup estimates
 * and `percentile_disc` computes: the smallest value with at least q·n values
 * at or below it (rank ceil(q·n), at least 1).
 */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}
