import { checkPointBudget, statsWindow, toSeries } from '../analytics/index.js';
import { defineRoute, parseQuery } from '../http/index.js';
import { BREAKDOWN_SORTS, BreakdownQuery, GROUPINGS, METRICS, TimeseriesQuery } from '../schemas/index.js';
import { lastGoodOfDefaultWindow, respondCached } from './cached.js';
import { present } from './present.js';
import { hourWindow } from './stats.js';

/**
 * GET /api/iris/stats/timeseries?metric&interval&from&to&groupBy&top: one
 * point per UTC hour or day, per series (the top values of `groupBy` by the
 * metric over the window, and `other`), every bucket present.
 */
export const timeseriesRoute = defineRoute({
  path: '/api/iris/stats/timeseries',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, TimeseriesQuery);
      const window = statsWindow(query, c.get('services').now(), query.interval);
      const grouped = query.groupBy !== 'none';
      // The top values plus `other`: the most series the answer can have.
      checkPointBudget(window, grouped ? query.top + 1 : 1, query.interval);
      const from = new Date(window.fromMs).toISOString();
      const to = new Date(window.toMs).toISOString();
      const projectId = c.get('project').id;
      const params = { metric: query.metric, interval: query.interval, from, to, groupBy: query.groupBy, top: grouped ? query.top : 0 };
      return respondCached(c, 'stats', { fn: 'timeseries', ...params }, async () => {
        const rows = await c.get('services').db.rpc('get_stats_timeseries', {
          p_project_id: projectId,
          p_metric: METRICS[query.metric],
          p_interval: query.interval,
          p_from: from,
          p_to: to,
          p_group_by: grouped ? GROUPINGS[query.groupBy as keyof typeof GROUPINGS] : 'none',
          p_top: params.top,
        });
        return { projectId, ...params, ...(grouped ? {} : { top: null }), series: toSeries(rows) };
      }, lastGoodOfDefaultWindow(query, { fn: 'timeseries', metric: query.metric, interval: query.interval, groupBy: query.groupBy, top: params.top }));
    },
  },
});

/**
 * GET /api/iris/stats/breakdown?by&from&to&sort&order&limit: one row per
 * model, expert, agent or prompt version over a window of whole hours.
 */
export const breakdownRoute = defineRoute({
  path: '/api/iris/stats/breakdown',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, BreakdownQuery);
      const range = hourWindow(query, c.get('services').now());
      const projectId = c.get('project').id;
      const params = { by: query.by, ...range, sort: query.sort, order: query.order, limit: query.limit };
      return respondCached(c, 'stats', { fn: 'breakdown', ...params }, async () => {
        const rows = await c.get('services').db.rpc('get_stats_breakdown', {
          p_project_id: projectId,
          p_by: GROUPINGS[query.by],
          p_from: range.from,
          p_to: range.to,
          p_sort: BREAKDOWN_SORTS[query.sort],
          p_descending: query.order === 'desc',
          p_limit: query.limit,
        });
        return {
          projectId,
          ...params,
          totalGroups: rows[0]?.total_groups ?? 0,
          data: rows.map(({ value, total_groups: _, ...row }) => ({ group: value, ...present(row) })),
        };
      }, lastGoodOfDefaultWindow(query, { fn: 'breakdown', by: query.by, sort: query.sort, order: query.order, limit: query.limit }));
    },
  },
});
