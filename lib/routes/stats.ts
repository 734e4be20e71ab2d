import { unprocessable } from '../errors.js';
import { defineRoute, parseQuery, type RouteContext } from '../http/index.js';
import { MAX_STATS_RANGE_MS, StatsQuery } from '../schemas/index.js';
import { lastGoodOfDefaultWindow, respondCached } from './cached.js';
import { present } from './present.js';

const DAY_MS = 24 * 3600 * 1000;

/** Resolves `from`/`to` (default: the last 24 hours) and enforces order and the maximum range. */
export function resolveRange(query: { from?: string; to?: string }, nowMs: number): { from: string; to: string } {
  const toMs = query.to ? Date.parse(query.to) : nowMs;
  const fromMs = query.from ? Date.parse(query.from) : toMs - DAY_MS;
  if (fromMs >= toMs) throw unprocessable('`from` must be earlier than `to`.', [{ path: 'from', code: 'custom', message: 'must be earlier than to' }]);
  if (toMs - fromMs > MAX_STATS_RANGE_MS) {
    throw unprocessable('The range between `from` and `to` is at most 92 days.', [
      { path: 'from', code: 'custom', message: 'range exceeds 92 days' },
    ]);
  }
  return { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() };
}

/** Splits per-model rows from the totals row (the one whose model is null). */
function splitTotals<T extends { model: string | null }>(rows: T[]) {
  const total = rows.find((r) => r.model === null);
  return {
    models: rows.filter((r) => r.model !== null).map((r) => present(r)),
    totals: total ? present(total, ['model']) : null,
  };
}

function statsRoute(path: string, fn: 'get_token_stats' | 'get_performance_stats') {
  return defineRoute({
    path,
    access: 'project',
    methods: {
      GET: (c: RouteContext) => {
        const query = parseQuery(c, StatsQuery);
        const { db, now } = c.get('services');
        const projectId = c.get('project').id;
        // With no explicit `to` the window ends now: round it up to the minute so
        // "the last 24 hours" is one cache entry per minute, not one per request.
        const range = resolveRange(query, Math.ceil(now() / 60_000) * 60_000);
        return respondCached(c, 'stats', { fn, ...range }, async () => {
          const rows = await db.rpc(fn, { p_project_id: projectId, p_from: range.from, p_to: range.to });
          return { projectId, ...range, ...splitTotals(rows) };
        }, lastGoodOfDefaultWindow(query, { fn }));
      },
    },
  });
}

/** GET /api/iris/stats/tokens?from&to: tokens and cost per model, plus totals. */
export const tokenStatsRoute = statsRoute('/api/iris/stats/tokens', 'get_token_stats');

/** GET /api/iris/stats/performance?from&to: success rate and latency percentiles per model, plus totals. */
export const performanceStatsRoute = statsRoute('/api/iris/stats/performance', 'get_performance_stats');
