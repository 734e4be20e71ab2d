import type { Db, Uuid } from '../db/types.js';
import { INTERVAL_MS } from './window.js';

export interface BackfillRollupsOptions {
  projectId: Uuid;
  /** First instant to cover (epoch ms); its whole UTC day is rebuilt. */
  fromMs: number;
  /** Last instant to cover, exclusive (epoch ms); its whole UTC day is rebuilt unless it is a midnight. */
  toMs: number;
  /** Called after each day with the runs read so far. */
  onDay?: (day: string, runs: number) => void;
}

export interface BackfillRollupsResult {
  days: number;
  runs: number;
  rollupRows: number;
}

/**
 * Rebuilds a project's rollups from its raw runs, one UTC day per
 * `backfill_run_rollups` call, so each call is bounded by one day of runs and
 * holds the project's rollup lock only that long. Idempotent and resumable:
 * each day is replaced as a whole, so running it again, or from the day it
 * stopped, gives the same rollups. Works on every Db adapter.
 */
export async function backfillRollups(db: Db, options: BackfillRollupsOptions): Promise<BackfillRollupsResult> {
  const day = INTERVAL_MS.day;
  const result: BackfillRollupsResult = { days: 0, runs: 0, rollupRows: 0 };
  for (let at = Math.floor(options.fromMs / day) * day; at < options.toMs; at += day) {
    const iso = new Date(at).toISOString();
    const [row] = await db.rpc('backfill_run_rollups', { p_project_id: options.projectId, p_day: iso });
    result.days += 1;
    result.runs += row?.runs ?? 0;
    result.rollupRows += row?.rollup_rows ?? 0;
    options.onDay?.(iso, result.runs);
  }
  return result;
}
