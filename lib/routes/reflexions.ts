import { defineRoute, json, parseBody, parseQuery } from '../http/index.js';
import { CreateReflexionBody, ListReflexionsQuery } from '../schemas/index.js';
import { invalidate, respondCachedPage } from './cached.js';
import { runWrite } from './idempotent.js';
import { present } from './present.js';

/** GET /api/iris/reflexions?expertId&limit&cursor: lessons experts recorded, newest first. POST: records one. */
export const reflexionsRoute = defineRoute({
  path: '/api/iris/reflexions',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, ListReflexionsQuery);
      const projectId = c.get('project').id;
      const expertId = query.expertId ?? null;
      return respondCachedPage(c, 'reflexions', query, { expertId }, (args) =>
        c.get('services').db.rpc('list_reflexions', { p_project_id: projectId, p_expert_id: expertId, ...args }),
      );
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateReflexionBody);
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'record_reflexion',
        args: {
          p_project_id: c.get('project').id,
          p_expert_id: body.expertId,
          p_kind: body.kind,
          p_context: body.context,
          p_outcome: body.outcome,
          p_success: body.success,
          p_impact_score: body.impactScore,
        },
        body,
      });
      // The overview counts reflexions.
      await invalidate(c, 'reflexions', 'overview');
      return json(c, present(row ?? {}), 201);
    },
  },
});
