import { z } from 'zod';
import { DEFAULT_ROLLUP_RETENTION_DAYS, DEFAULT_RUN_RETENTION_DAYS, MAX_RETENTION_DAYS, MIN_RETENTION_DAYS } from '../lifecycle/index.js';
import { uuid } from './common.js';

const retentionDays = z.int().min(MIN_RETENTION_DAYS).max(MAX_RETENTION_DAYS);

/**
 * `settings.retention` of a project: how long raw runs and rollups are kept,
 * in days (docs/lifecycle.md). Rollups summarise raw runs, so they are never
 * kept for less time than the runs.
 */
export const RetentionSettings = z
  .strictObject({
    /** @default 400 (the backfill window) */
    runsDays: retentionDays.optional(),
    /** @default max(800, runsDays) */
    rollupsDays: retentionDays.optional(),
  })
  .refine((r) => (r.rollupsDays ?? Math.max(DEFAULT_ROLLUP_RETENTION_DAYS, r.runsDays ?? 0)) >= (r.runsDays ?? DEFAULT_RUN_RETENTION_DAYS), {
    message: 'rollupsDays must be at least runsDays: rollups summarise the raw runs',
    path: ['rollupsDays'],
  });

const NIL_OR_MAX = /^(0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12})$/i;

/**
 * A client-generated run id: a run is stored once per id however often it is
 * sent (a retried batch, a re-exported span). The nil and max UUIDs are
 * refused: a client sending one for every run would keep only the first.
 */
export const RunId = uuid.refine((v) => !NIL_OR_MAX.test(v), { message: 'must be a random UUID, not the nil or max UUID' });
