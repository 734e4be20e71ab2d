import { defineRoute, json } from '../http/index.js';

/** GET /api/health: public liveness. Says the process runs; touches no dependency. */
export const healthRoute = defineRoute({
  path: '/api/health',
  access: 'public',
  methods: {
    GET: (c) => {
      const { config, startedAt, now } = c.get('services');
      return json(c, {
        status: 'ok',
        version: config.version,
        uptimeS: Math.round((now() - startedAt) / 1000),
      });
    },
  },
});
