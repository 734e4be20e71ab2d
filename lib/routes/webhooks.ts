import type { RpcArgs, WebhookEndpointRow } from '../db/types.js';
import { conflict, HttpError, notFound, serviceUnavailable } from '../errors.js';
import { defineRoute, json, parseBody, parseOptionalBody, parseParams, parseQuery, type RouteContext } from '../http/index.js';
import {
  CreateWebhookBody,
  DEFAULT_SECRET_OVERLAP_S,
  EmptyBody,
  ListWebhookDeliveriesQuery,
  ListWebhooksQuery,
  RotateWebhookSecretBody,
  UpdateWebhookBody,
  WebhookParams,
} from '../schemas/index.js';
import { generateSecret, secretContext, type SecretBox } from '../webhooks/index.js';
import { runWrite } from './idempotent.js';
import { authorizeCron } from './lifecycle.js';
import { page, pageArgs, present } from './present.js';

/**
 * Webhooks (docs/costs.md#webhooks): endpoints a project registers, their
 * delivery log, a test send, and the cron route that drains the outbox.
 * Reads here are not cached: they are rare, and deliveries change in the
 * background.
 */

const DOCS = 'docs/costs.md#webhooks';
/** The most endpoints a project may have enabled at once (create_webhook_endpoint enforces it). */
export const MAX_WEBHOOK_ENDPOINTS = 20;
/** How long one cron drain may start new batches, in ms: with the 10 s request timeout it ends within the function's 30 s. */
export const CRON_DRAIN_BUDGET_MS = 15_000;

/** The secret box, or a 503 naming the variable when IRIS_ENCRYPTION_KEY is not set. */
function secretBox(c: RouteContext): SecretBox {
  const { box } = c.get('services').webhooks;
  if (!box) {
    throw serviceUnavailable(
      'webhooks_not_configured',
      'Webhooks are not configured on this deployment: set IRIS_ENCRYPTION_KEY (32 random bytes in base64, e.g. from openssl rand -base64 32).',
      60,
    );
  }
  return box;
}

async function endpointOr404(c: RouteContext, id: string): Promise<WebhookEndpointRow> {
  const [row] = await c.get('services').db.rpc('get_webhook_endpoint', { p_project_id: c.get('project').id, p_id: id });
  if (!row) throw notFound(`No webhook endpoint ${id}.`, 'webhook_not_found');
  return row;
}

/** The URL as the SSRF guard normalised it, or a 422 saying why it may not be called. */
async function allowedUrl(c: RouteContext, url: string): Promise<string> {
  const verdict = await c.get('services').webhooks.guard.check(url);
  if (!verdict.ok) {
    throw new HttpError(422, 'webhook_url_refused', verdict.message, { details: { path: 'url', reason: verdict.reason, docs: DOCS } });
  }
  return verdict.url;
}

function disabled(id: string, endpoint?: WebhookEndpointRow): HttpError {
  const why = endpoint?.disabled_reason ? ` (${endpoint.disabled_reason})` : '';
  return conflict('webhook_disabled', `Webhook endpoint ${id} is disabled${why}; create a new one.`);
}

/** GET /api/iris/webhooks?limit&cursor: the project's endpoints, newest first (never their secrets). POST: registers one; its secret is in this answer only. */
export const webhooksRoute = defineRoute({
  path: '/api/iris/webhooks',
  access: 'project',
  methods: {
    GET: async (c) => {
      const query = parseQuery(c, ListWebhooksQuery);
      const rows = await c.get('services').db.rpc('list_webhook_endpoints', { p_project_id: c.get('project').id, ...pageArgs(query) });
      return json(c, page(rows, query.limit));
    },
    POST: async (c) => {
      const body = await parseBody(c, CreateWebhookBody);
      const box = secretBox(c);
      const projectId = c.get('project').id;
      const url = await allowedUrl(c, body.url);
      const id = crypto.randomUUID();
      const secret = generateSecret();
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'create_webhook_endpoint',
        args: {
          p_project_id: projectId,
          p_id: id,
          p_url: url,
          p_description: body.description ?? null,
          p_event_types: body.eventTypes,
          p_secret_ciphertext: await box.seal(secret, secretContext(projectId, id)),
        },
        body,
      });
      if (!row) {
        throw conflict('webhook_limit_reached', `A project may have at most ${MAX_WEBHOOK_ENDPOINTS} enabled webhook endpoints; delete one first.`);
      }
      // A replay (Idempotency-Key) answers with the first request's endpoint, and so with its secret.
      const opened = await box.open(row.secret_ciphertext, secretContext(projectId, row.id));
      if (!opened.ok) {
        throw new HttpError(410, 'idempotency_replay_unavailable', 'The endpoint created under this Idempotency-Key has a secret that can no longer be decrypted (IRIS_ENCRYPTION_KEY changed); delete it and create a new one.');
      }
      return json(c, { ...present(row, ['secret_ciphertext']), secret: opened.plaintext }, 201);
    },
  },
});

/**
 * GET /api/iris/webhooks/{id}: one endpoint. PATCH: changes its URL, event
 * types or description in place (its id, secret and delivery log stay; pending
 * deliveries go to the new URL). DELETE: disables it for good (its delivery
 * log stays readable).
 */
export const webhookRoute = defineRoute({
  path: '/api/iris/webhooks/:id',
  access: 'project',
  methods: {
    GET: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      parseQuery(c, EmptyBody);
      return json(c, present(await endpointOr404(c, id)));
    },
    PATCH: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      const body = await parseBody(c, UpdateWebhookBody);
      const endpoint = await endpointOr404(c, id);
      if (endpoint.disabled_at !== null) throw disabled(id, endpoint);
      const changes: RpcArgs<'update_webhook_endpoint'>['p_changes'] = {};
      if (body.url !== undefined) changes.url = await allowedUrl(c, body.url);
      if (body.eventTypes !== undefined) changes.event_types = body.eventTypes;
      if (body.description !== undefined) changes.description = body.description;
      const {
        rows: [row],
      } = await runWrite(c, { rpc: 'update_webhook_endpoint', args: { p_project_id: c.get('project').id, p_id: id, p_changes: changes }, body });
      // Disabled between the check and the write.
      if (!row) throw disabled(id);
      return json(c, present(row));
    },
    DELETE: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      const body = await parseOptionalBody(c, EmptyBody);
      const {
        rows: [row],
      } = await runWrite(c, { rpc: 'disable_webhook_endpoint', args: { p_project_id: c.get('project').id, p_id: id, p_reason: 'deleted' }, body });
      if (!row) throw notFound(`No webhook endpoint ${id}.`, 'webhook_not_found');
      return json(c, present(row));
    },
  },
});

/** GET /api/iris/webhooks/{id}/deliveries?limit&cursor: the endpoint's delivery log, newest first. */
export const webhookDeliveriesRoute = defineRoute({
  path: '/api/iris/webhooks/:id/deliveries',
  access: 'project',
  methods: {
    GET: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      const query = parseQuery(c, ListWebhookDeliveriesQuery);
      await endpointOr404(c, id);
      const rows = await c.get('services').db.rpc('list_webhook_deliveries', { p_project_id: c.get('project').id, p_endpoint_id: id, ...pageArgs(query) });
      return json(c, page(rows, query.limit));
    },
  },
});

/**
 * POST /api/iris/webhooks/{id}/test: queues a `webhook.test` event to this
 * endpoint and sends it in the background; `202` at once, the outcome shows
 * in the delivery log.
 */
export const webhookTestRoute = defineRoute({
  path: '/api/iris/webhooks/:id/test',
  access: 'project',
  methods: {
    POST: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      const body = await parseOptionalBody(c, EmptyBody);
      secretBox(c);
      const endpoint = await endpointOr404(c, id);
      if (endpoint.disabled_at !== null) throw disabled(id, endpoint);
      const {
        rows: [row],
        replayed,
      } = await runWrite(c, { rpc: 'send_test_webhook', args: { p_project_id: c.get('project').id, p_endpoint_id: id }, body });
      // Disabled between the check and the write.
      if (!row) throw disabled(id);
      if (!replayed) void c.get('services').webhooks.drainSoon();
      return json(c, { eventId: row.event_id, deliveryId: row.delivery_id, status: 'pending' }, 202);
    },
  },
});

/**
 * POST /api/iris/webhooks/{id}/rotate-secret: a new signing secret, shown in
 * this answer only. For `overlapSeconds` (default 24 h, at most 7 days; 0
 * retires the old secret at once) every delivery is signed with both, so a
 * receiver can switch to the new secret whenever it likes within that time.
 */
export const webhookRotateSecretRoute = defineRoute({
  path: '/api/iris/webhooks/:id/rotate-secret',
  access: 'project',
  methods: {
    POST: async (c) => {
      const { id } = parseParams(c, WebhookParams);
      const body = await parseOptionalBody(c, RotateWebhookSecretBody);
      const box = secretBox(c);
      const projectId = c.get('project').id;
      const endpoint = await endpointOr404(c, id);
      if (endpoint.disabled_at !== null) throw disabled(id, endpoint);
      const secret = generateSecret();
      const {
        rows: [row],
      } = await runWrite(c, {
        rpc: 'rotate_webhook_secret',
        args: {
          p_project_id: projectId,
          p_id: id,
          p_secret_ciphertext: await box.seal(secret, secretContext(projectId, id)),
          p_overlap_seconds: body?.overlapSeconds ?? DEFAULT_SECRET_OVERLAP_S,
        },
        body,
      });
      // Disabled between the check and the write.
      if (!row) throw disabled(id);
      // A replay (Idempotency-Key) answers with the first request's secret, read back from its stored row.
      const opened = await box.open(row.secret_ciphertext, secretContext(projectId, row.id));
      if (!opened.ok) {
        throw new HttpError(410, 'idempotency_replay_unavailable', 'The secret made under this Idempotency-Key can no longer be decrypted (IRIS_ENCRYPTION_KEY changed); rotate again without the key.');
      }
      return json(c, { ...present(row, ['secret_ciphertext']), secret: opened.plaintext });
    },
  },
});

/**
 * GET /api/cron/webhooks: sends every webhook delivery that is due, on any
 * instance's behalf, for at most 15 s of new batches; scheduled every minute
 * in vercel.json. Safe to call at any time, from any number of callers.
 */
export const webhooksCronRoute = defineRoute({
  path: '/api/cron/webhooks',
  access: 'public',
  methods: {
    GET: async (c) => {
      await authorizeCron(c);
      parseQuery(c, EmptyBody);
      const { webhooks, log } = c.get('services');
      const report = await webhooks.drain(CRON_DRAIN_BUDGET_MS, 'cron');
      const { db } = c.get('services');
      const expired = await db.rpc('delete_expired_webhook_events', { p_limit: 5_000 });
      // A rotated-out secret whose overlap has ended is never used again: it leaves the row.
      const retired = await db.rpc('retire_expired_webhook_secrets', { p_limit: 5_000 });
      const summary = { ...report, expiredEvents: expired[0]?.deleted ?? 0, retiredSecrets: retired[0]?.retired ?? 0 };
      if (report.claimed > 0 || summary.expiredEvents > 0 || summary.retiredSecrets > 0) log.info('webhook cron drain', { ...summary });
      return json(c, summary);
    },
  },
});
