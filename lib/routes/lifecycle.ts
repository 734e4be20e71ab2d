import { bearerToken, secretMatches } from '../auth/index.js';
import { notFound, unauthorized } from '../errors.js';
import { defineRoute, json, loggableError, parseQuery, type RouteContext } from '../http/index.js';
import { RetentionSweepError, sweepRetention } from '../lifecycle/index.js';
import { EmptyBody } from '../schemas/index.js';

/**
 * Vercel Cron calls a cron path with `Authorization: Bearer $CRON_SECRET`
 * (https://vercel.com/docs/cron-jobs/manage-cron-jobs#securing-cron-jobs).
 * Without CRON_SECRET the cron routes do not exist (404), as the admin routes
 * without their token; a missing or wrong secret is a 401, compared in
 * constant time.
 */
export async function authorizeCron(c: RouteContext): Promise<void> {
  const { config, metrics } = c.get('services');
  if (!config.cronSecret) throw notFound();
  if (!(await secretMatches(bearerToken(c.req.header('authorization')), config.cronSecret))) {
    metrics.authFailure('cron_secret');
    throw unauthorized('The cron secret is missing or wrong: Vercel Cron sends "Authorization: Bearer $CRON_SECRET".');
  }
}

/**
 * GET /api/cron/retention: one retention sweep (lib/lifecycle/retention.ts),
 * scheduled daily in vercel.json. Deletes what each project's retention
 * settings make due, in batches of 5,000 rows, for at most 20 s; what is left
 * the next call deletes. Safe to call at any time and any number of times.
 */
export const retentionCronRoute = defineRoute({
  path: '/api/cron/retention',
  access: 'public',
  methods: {
    GET: async (c) => {
      await authorizeCron(c);
      parseQuery(c, EmptyBody);
      const { db, metrics, log, now } = c.get('services');
      try {
        const report = await sweepRetention(db, { now, onBatch: (table, rows) => metrics.retentionDeleted(table, rows) });
        metrics.retentionSweep(report.outcome);
        log.info('retention sweep', { ...report });
        return json(c, report);
      } catch (error) {
        if (!(error instanceof RetentionSweepError)) throw error;
        // What was deleted before the failure is committed and counted; the next sweep continues from there.
        metrics.retentionSweep('failed');
        log.warn('retention sweep failed part way', { ...error.report, ...loggableError(error.cause) });
        throw error.cause;
      }
    },
  },
});
