import { z } from 'zod';
import { bearerToken, sha256Hex, timingSafeEqualString } from '../auth/index.js';
import { HttpError, unauthorized } from '../errors.js';
import { defineRoute, json, parseQuery, respond, type RouteContext } from '../http/index.js';
import { formatFromAccept, render, type ExpositionFormat } from '../metrics/index.js';
import { toJsonSummary } from '../telemetry/index.js';

export const MetricsQuery = z.strictObject({
  format: z.enum(['prometheus', 'openmetrics', 'json']).optional(),
  scope: z.enum(['instance', 'fleet']).default('instance'),
});

/** `?format=` wins; else `Accept` chooses OpenMetrics or Prometheus text; else the JSON summary. */
function chooseFormat(c: RouteContext, requested: 'prometheus' | 'openmetrics' | 'json' | undefined): ExpositionFormat | 'json' {
  if (requested) return requested;
  const accept = c.req.header('accept') ?? '';
  if (/application\/openmetrics-text/i.test(accept)) return formatFromAccept(accept);
  if (/text\/plain/i.test(accept)) return 'prometheus';
  return 'json';
}

async function authorize(c: RouteContext): Promise<void> {
  const { config, metrics } = c.get('services');
  if (!config.metricsToken) {
    if (config.production) {
      throw new HttpError(
        403,
        'metrics_token_required',
        '/api/metrics does not serve in production without IRIS_METRICS_TOKEN: set it and send "Authorization: Bearer <token>".',
      );
    }
    return;
  }
  const token = bearerToken(c.req.header('authorization'));
  const [given, wanted] = await Promise.all([sha256Hex(token ?? ''), sha256Hex(config.metricsToken)]);
  if (!token || !timingSafeEqualString(given, wanted)) {
    metrics.authFailure('metrics_token');
    throw unauthorized('The metrics token is missing or wrong: send "Authorization: Bearer $IRIS_METRICS_TOKEN".');
  }
}

/**
 * GET /api/metrics: this instance's metrics (or, with `?scope=fleet`, every
 * live instance's merged) as Prometheus text, OpenMetrics or a JSON summary.
 */
export const metricsRoute = defineRoute({
  path: '/api/metrics',
  access: 'public',
  methods: {
    GET: async (c) => {
      await authorize(c);
      const query = parseQuery(c, MetricsQuery);
      const { metrics, fleet, config, startedAt, now } = c.get('services');
      const format = chooseFormat(c, query.format);
      let snapshot;
      let instances = 1;
      const headers: Record<string, string> = {};
      if (query.scope === 'fleet') {
        // The fleet read merges this instance's live registry with every other live instance's snapshot.
        const fleetView = await fleet.read();
        ({ snapshot, instances } = fleetView);
        if (fleetView.degraded) headers.Warning = '199 - "fleet view unavailable (KV unreachable): this instance only"';
      } else {
        snapshot = metrics.registry.snapshot({ sketches: format === 'json' });
      }
      if (format === 'json') {
        const uptimeS = Math.round((now() - startedAt) / 1000);
        return json(c, toJsonSummary(snapshot, { instance: query.scope === 'fleet' ? 'fleet' : config.instance, instances, uptimeS }), 200, headers);
      }
      const exposition = render(snapshot, format);
      return respond(c, exposition.body, 200, { ...headers, 'Content-Type': exposition.contentType });
    },
  },
});
