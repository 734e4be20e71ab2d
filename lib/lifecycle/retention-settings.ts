import type { Json } from '../db/types.js';

/**
 * How long a project keeps its data: `settings.retention.runsDays` for raw
 * runs and `settings.retention.rollupsDays` for the hourly and daily rollups.
 * The same rules as `iris_retention_days` in migration 0005, which the
 * retention sweep applies; lib/lifecycle/contract.ts checks they agree.
 */

/** Raw runs: the backfill window, so a run is never refused at ingest yet already due for deletion. */
export const DEFAULT_RUN_RETENTION_DAYS = 400;
/** Rollups: twice as long, so year-over-year charts keep a full previous year after the raw runs are gone. */
export const DEFAULT_ROLLUP_RETENTION_DAYS = 800;
/** Shortest setting: the overview and the raw edges of stats windows read up to a day of raw runs. */
export const MIN_RETENTION_DAYS = 7;
export const MAX_RETENTION_DAYS = 3650;

export interface Retention {
  /** Raw runs older than this many days are deleted. */
  runsDays: number;
  /** Rollup buckets that ended more than this many days ago are deleted; never less than `runsDays`. */
  rollupsDays: number;
}

function days(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_RETENTION_DAYS && value <= MAX_RETENTION_DAYS ? value : fallback;
}

/**
 * A project's retention from its settings, with the defaults for anything
 * missing or invalid (the schema refuses invalid settings; this is for rows
 * written before it existed).
 * @example
 * retentionOf({ retention: { runsDays: 90 } }) // { runsDays: 90, rollupsDays: 800 }
 */
export function retentionOf(settings: Json): Retention {
  const retention = settings !== null && typeof settings === 'object' && !Array.isArray(settings) ? settings.retention : undefined;
  const given = retention !== null && typeof retention === 'object' && !Array.isArray(retention) ? retention : {};
  const runsDays = days(given.runsDays, DEFAULT_RUN_RETENTION_DAYS);
  return { runsDays, rollupsDays: Math.max(runsDays, days(given.rollupsDays, DEFAULT_ROLLUP_RETENTION_DAYS)) };
}
