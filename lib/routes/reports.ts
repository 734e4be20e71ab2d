import { defineRoute, json, parseBody, parseQuery } from '../http/index.js';
import { CreateReportBody, ListReportsQuery } from '../schemas/index.js';
import { invalidate, respondCachedPage } from './cached.js';
import { runWrite } from './idempotent.js';
import { present } from './present.js';

/** GET /api/iris/reports?limit&cursor: health reports, newest first. POST: files a report. */
export const reportsRoute = defineRoute({
  path: '/api/iris/reports',
  access: 'project',
  methods: {
    GET: (c) => {
      const query = parseQuery(c, ListReportsQuery);
      const projectId = c.get('project').id;
      return respondCachedPage(c, 'reports', query, {}, (args) => c.get('services').db.rpc('list_reports', { p_project_id: projectId, ...args }));
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateReportBody);
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'create_report',
        args: {
          p_project_id: c.get('project').id,
          p_kind: body.kind,
          p_health_score: body.healthScore,
          p_overall_health: body.overallHealth,
          p_severity: body.severity,
          p_title: body.title,
          p_data: body.data as Record<string, never>,
        },
        body,
      });
      // The overview shows the latest health score and the open critical reports.
      await invalidate(c, 'reports', 'overview');
      return json(c, present(row ?? {}), 201);
    },
  },
});
