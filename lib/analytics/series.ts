import type { TimeseriesRow } from '../db/types.js';

/** One point of a chart. */
export interface SeriesPoint {
  /** Start of the bucket (ISO-8601 in UTC with a Z, like the response's from and to). */
  t: string;
  runs: number;
  /** null for a rate, mean or percentile of an empty bucket. */
  value: number | null;
}

/** One line of a chart. */
export interface Series {
  /** `all` without grouping, `group` for one of the top values, `other` for the rest folded together. */
  kind: TimeseriesRow['kind'];
  /** The value for kind `group` (null for runs without the attribute); null otherwise. */
  group: string | null;
  points: SeriesPoint[];
}

/**
 * Groups the rows of `get_stats_timeseries` (already ordered by series, then
 * time) into series, keeping their order; bucket starts become `toISOString()`.
 */
export function toSeries(rows: readonly TimeseriesRow[]): Series[] {
  const series: Series[] = [];
  let current: Series | undefined;
  for (const row of rows) {
    if (!current || current.kind !== row.kind || current.group !== row.grp) {
      current = { kind: row.kind, group: row.grp, points: [] };
      series.push(current);
    }
    current.points.push({ t: new Date(row.bucket_start).toISOString(), runs: row.runs, value: row.value });
  }
  return series;
}
