import { defineRoute, parseBody, parseQuery } from '../http/index.js';
import { CreateReflexionBody, ListReflexionsQuery } from '../schemas/index.js';
import { invalidate, respondCached } from './cached.js';
import { page, present } from './present.js';

/** GET /api/iris/reflexions?expertId&limit&cursor: lessons experts recorded, newest first. POST: records one. */
export const reflexionsRoute = defineRoute({
  path: '/api/iris/reflexions',
  access: 'project',
  methods: {
    GET: async (c) => {
      const query = parseQuery(c, ListReflexionsQuery);
      const projectId = c.var.project.id;
      const params = {
        expertId: query.expertId ?? null,
        limit: query.limit,
        before: query.cursor ? `${query.cursor.createdAt}|${query.cursor.id}` : null,
      };
      return respondCached(c, 'reflexions', params, async () => {
        const rows = await c.var.services.db.rpc('list_reflexions', {
          p_project_id: projectId,
          p_expert_id: query.expertId ?? null,
          p_limit: query.limit + 1,
          p_before_created_at: query.cursor?.createdAt ?? null,
          p_before_id: query.cursor?.id ?? null,
        });
        return page(rows, query.limit);
      });
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateReflexionBody);
      const [row] = await c.var.services.db.rpc('record_reflexion', {
        p_project_id: c.var.project.id,
        p_expert_id: body.expertId,
        p_kind: body.kind,
        p_context: body.context,
        p_outcome: body.outcome,
        p_success: body.success,
        p_impact_score: body.impactScore,
      });
      // The overview counts reflexions.
      await invalidate(c, 'reflexions', 'overview');
      return c.json(present(row ?? {}), 201);
    },
  },
});
