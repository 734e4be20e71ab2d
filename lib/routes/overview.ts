import { defineRoute, parseQuery } from '../http/index.js';
import { OverviewQuery } from '../schemas/index.js';
import { viewBudget } from '../budgets/index.js';
import { projectBudgets } from './budgets.js';
import { respondCached } from './cached.js';
import { present } from './present.js';

/** GET /api/iris/overview: the project's headline numbers, aggregated in one RPC, and spend against its project budgets. */
export const overviewRoute = defineRoute({
  path: '/api/iris/overview',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, OverviewQuery);
      const { db, now } = c.get('services');
      const projectId = c.get('project').id;
      return respondCached(c, 'overview', {}, async () => {
        const [[row], budgets] = await Promise.all([db.rpc('get_project_overview', { p_project_id: projectId }), projectBudgets(c)]);
        // Spend against the project's own budgets (not those of one agent, expert or model).
        const projectBudgetViews = budgets.states
          .filter((b) => b.scope === 'project')
          .map((b) => viewBudget(b, now(), budgets.availability === 'stale' ? 'stale' : 'fresh'))
          .map(({ id, name, period, periodEnd, amountUsd, spentUsd, remainingUsd, utilization, hardLimit }) => ({ id, name, period, periodEnd, amountUsd, spentUsd, remainingUsd, utilization, hardLimit }));
        return { projectId, generatedAt: new Date(now()).toISOString(), ...present(row ?? {}), budgets: projectBudgetViews };
      });
    },
  },
});
