import { bearerToken, secretMatches } from '../auth/index.js';
import { notFound, unauthorized } from '../errors.js';
import { defineRoute, json, NO_STORE, parseQuery, type RouteContext } from '../http/index.js';
import { EmptyBody } from '../schemas/index.js';

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

/**
 * The detailed health check is for operators: the metrics token or the admin
 * token, either one, each compared in constant time (both are always
 * compared, so the timing does not say which one matched). With neither
 * configured the route does not exist (404), as the admin routes without
 * their token, except in local mode (`Services.local`: the benchmarks' own
 * servers), where it is open. `npm run dev` is not local mode: on the
 * embedded defaults it mints an admin token and prints it.
 */
async function authorizeHealth(c: RouteContext): Promise<void> {
  const { config, metrics, local } = c.get('services');
  const tokens = [config.metricsToken, config.adminToken].filter((t): t is string => t !== null);
  if (tokens.length === 0) {
    if (local) return;
    throw notFound();
  }
  const given = bearerToken(c.req.header('authorization'));
  const matches = await Promise.all(tokens.map((token) => secretMatches(given, token)));
  if (!matches.includes(true)) {
    metrics.authFailure('health_token');
    throw unauthorized('A token is missing or wrong: send "Authorization: Bearer $IRIS_METRICS_TOKEN" (or $IRIS_ADMIN_TOKEN).');
  }
}

/**
 * GET /api/health/detailed: whether this instance's dependencies answer, now
 * (lib/health): the database and its latency, the applied against the
 * expected migrations, the KV and its latency, both circuits, the limiter's
 * mode, the L1 cache's size, the version and region. 503 when a required
 * dependency is down (the database, or migrations the code needs); 200 with
 * `status: "degraded"` when only something optional is. Never cached, and it
 * holds no URL, host, credential or error message (docs/observability.md).
 */
export const detailedHealthRoute = defineRoute({
  path: '/api/health/detailed',
  access: 'public',
  methods: {
    GET: async (c) => {
      await authorizeHealth(c);
      parseQuery(c, EmptyBody);
      const { config, health, limiter, cache, startedAt, now } = c.get('services');
      const report = await health.check();
      const { l1Entries, l1Bytes, inFlight, generations } = cache.stats();
      const body = {
        status: report.status,
        version: config.version,
        region: config.region,
        uptimeS: Math.round((now() - startedAt) / 1000),
        checkedAt: new Date(now()).toISOString(),
        database: report.database,
        migrations: report.migrations,
        kv: report.kv,
        circuits: report.circuits,
        limiter: { mode: limiter.kind === 'upstash' ? 'fleet' : 'memory' },
        cache: { l1Entries, l1Bytes, inFlight, generations },
      };
      return json(c, body, report.status === 'down' ? 503 : 200, { 'Cache-Control': NO_STORE });
    },
  },
});
