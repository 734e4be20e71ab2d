import { statsWindow } from '../analytics/index.js';
import { defineRoute, parseQuery, type RouteContext } from '../http/index.js';
import { StatsQuery } from '../schemas/index.js';
import { lastGoodOfDefaultWindow, respondCached } from './cached.js';
import { present } from './present.js';

/**
 * The hour-aligned window of a stats request as the RPCs take it (ISO
 * strings): whole UTC hours, so it is read from rollup rows alone, and "the
 * last 24 hours" is one cache entry per hour (lib/analytics/window.ts).
 */
export function hourWindow(query: { from?: string | undefined; to?: string | undefined }, nowMs: number): { from: string; to: string } {
  const window = statsWindow(query, nowMs, 'hour');
  return { from: new Date(window.fromMs).toISOString(), to: new Date(window.toMs).toISOString() };
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
        const range = hourWindow(query, now());
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
