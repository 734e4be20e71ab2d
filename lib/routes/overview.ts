import { defineRoute, parseQuery } from '../http/index.js';
import { OverviewQuery } from '../schemas/index.js';
import { respondCached } from './cached.js';
import { present } from './present.js';

/** GET /api/iris/overview: the project's headline numbers, aggregated in one RPC. */
export const overviewRoute = defineRoute({
  path: '/api/iris/overview',
  access: 'project',
  methods: {
    GET: (c) => {
      parseQuery(c, OverviewQuery);
      const { db, now } = c.get('services');
      const projectId = c.get('project').id;
      return respondCached(c, 'overview', {}, async () => {
        const [row] = await db.rpc('get_project_overview', { p_project_id: projectId });
        return { projectId, generatedAt: new Date(now()).toISOString(), ...present(row ?? {}) };
      });
    },
  },
});
