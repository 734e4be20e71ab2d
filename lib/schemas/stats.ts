import { z } from 'zod';
import { projectIdAssertion, timestamp } from './common.js';

/** The widest window a stats query may cover. */
export const MAX_STATS_RANGE_MS = 92 * 24 * 3600 * 1000;

/** `from`/`to` for the stats endpoints; defaults and range checks happen in `resolveRange`. */
export const StatsQuery = z.strictObject({
  ...projectIdAssertion,
  from: timestamp.optional(),
  to: timestamp.optional(),
});

export const OverviewQuery = z.strictObject({ ...projectIdAssertion });
