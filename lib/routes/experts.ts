import { notFound } from '../errors.js';
import { defineRoute, json, parseBody, parseOptionalBody, parseParams, parseQuery } from '../http/index.js';
import { ExpertParams, ExpertUsageBody, ListExpertsQuery, UpsertExpertBody } from '../schemas/index.js';
import { invalidate, respondCached } from './cached.js';
import { runWrite } from './idempotent.js';
import { present } from './present.js';

/** GET /api/iris/experts?active=true: expert signatures. POST: create or replace one version of a signature. */
export const expertsRoute = defineRoute({
  path: '/api/iris/experts',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, ListExpertsQuery);
      const activeOnly = query.active ?? false;
      const projectId = c.get('project').id;
      return respondCached(c, 'experts', { activeOnly }, async () => {
        const rows = await c.get('services').db.rpc('list_experts', { p_project_id: projectId, p_active_only: activeOnly });
        return { data: rows.map((r) => present(r)) };
      });
    },
    POST: async (c) => {
      const body = await parseBody(c, UpsertExpertBody);
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'upsert_expert_signature',
        args: {
          p_project_id: c.get('project').id,
          p_expert_id: body.expertId,
          p_version: body.version,
          p_signature: body.signature,
          p_active: body.active,
          p_performance: body.performance as Record<string, never>,
        },
        body,
      });
      await invalidate(c, 'experts', 'overview');
      return json(c, present(row ?? {}), 201);
    },
  },
});

/** POST /api/iris/experts/{expertId}/usage: counts one use of the expert's active signature. */
export const expertUsageRoute = defineRoute({
  path: '/api/iris/experts/:expertId/usage',
  access: 'project',
  methods: {
    POST: async (c) => {
      const { expertId } = parseParams(c, ExpertParams);
      // The body is optional; when sent it must be a valid (empty or projectId-only) object.
      const body = await parseOptionalBody(c, ExpertUsageBody);
      // With an Idempotency-Key a retried count is counted once; a 404 (no such expert) is the stored answer too.
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'increment_expert_usage',
        args: { p_project_id: c.get('project').id, p_expert_id: expertId },
        body,
      });
      if (!row) throw notFound(`No expert "${expertId}" in this project.`, 'expert_not_found');
      await invalidate(c, 'experts');
      return json(c, present(row));
    },
  },
});
