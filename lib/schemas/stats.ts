import { z } from 'zod';
import { projectIdAssertion, timestamp } from './common.js';

/** `from`/`to` for the stats endpoints; defaults, range checks and alignment happen in `statsWindow` (lib/analytics). */
export const StatsQuery = z.strictObject({
  ...projectIdAssertion,
  from: timestamp.optional(),
  to: timestamp.optional(),
});

export const OverviewQuery = z.strictObject({ ...projectIdAssertion });
