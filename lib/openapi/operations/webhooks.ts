import { z } from 'zod';
import {
  CreateWebhookBody,
  EmptyBody,
  ListWebhookDeliveriesQuery,
  ListWebhooksQuery,
  RotateWebhookSecretBody,
  UpdateWebhookBody,
  WebhookParams,
} from '../../schemas/index.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/index.js';
import type { OperationSpec } from '../operation.js';
import { id, isoTime, page } from '../schemas.js';

export const WebhookEndpointView = z.strictObject({
  id,
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  createdAt: isoTime,
  disabledAt: isoTime.nullable(),
  disabledReason: z.string().nullable(),
});

export const CreatedWebhookEndpoint = z.strictObject({
  ...WebhookEndpointView.shape,
  secret: z
    .string()
    .regex(/^whsec_/)
    .meta({ description: 'The signing secret, shown in this answer only.' }),
});

export const RotatedWebhookSecret = z.strictObject({
  ...CreatedWebhookEndpoint.shape,
  secret: z
    .string()
    .regex(/^whsec_/)
    .meta({ description: 'The new signing secret, shown in this answer only.' }),
  previousSecretExpiresAt: isoTime.nullable().meta({
    description: 'Until when deliveries are also signed with the previous secret (null: it was retired at once).',
  }),
});

export const WebhookDeliveryView = z.strictObject({
  id,
  eventId: id,
  eventType: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.int(),
  nextAttemptAt: isoTime.nullable(),
  lastAttemptAt: isoTime.nullable(),
  lastStatus: z.int().nullable(),
  lastError: z.string().nullable(),
  lastResponse: z.string().nullable(),
  completedAt: isoTime.nullable(),
  createdAt: isoTime,
});

export const WebhookTestResult = z.strictObject({ eventId: id, deliveryId: id, status: z.literal('pending') });

export const WebhookDrainReport = z.strictObject({
  claimed: z.int(),
  succeeded: z.int(),
  retried: z.int(),
  failed: z.int(),
  outcome: z.enum(['complete', 'budget_exhausted']),
  elapsedMs: z.number(),
  backlog: z.strictObject({ due: z.int(), waiting: z.int(), nextDueAt: isoTime.nullable() }),
  expiredEvents: z.int(),
  retiredSecrets: z.int().meta({ description: 'Previous signing secrets whose rotation overlap had ended, cleared from their endpoints.' }),
});

const TAG = 'Webhooks';
const NOT_FOUND = { description: 'No such endpoint in this project (`webhook_not_found`).' };

export const webhooksOperations: OperationSpec[] = [
  {
    method: 'GET',
    path: '/api/iris/webhooks',
    operationId: 'listWebhooks',
    summary: 'Webhook endpoints, newest first (never their secrets)',
    tag: TAG,
    auth: 'project',
    query: ListWebhooksQuery,
    responses: { 200: { description: 'A page of endpoints.', schema: page(WebhookEndpointView) } },
  },
  {
    method: 'POST',
    path: '/api/iris/webhooks',
    operationId: 'createWebhook',
    summary: 'Register an endpoint',
    description:
      'https URLs whose every address is public (the local server also allows http://127.0.0.1). The answer holds the whsec_ secret, once. 422 `webhook_url_refused` when the SSRF rules refuse the URL; 409 for a 21st endpoint; 503 while IRIS_ENCRYPTION_KEY is unset.',
    tag: TAG,
    auth: 'project',
    body: CreateWebhookBody,
    idempotent: true,
    responses: {
      201: { description: 'The endpoint, with its secret.', schema: CreatedWebhookEndpoint },
      409: { description: 'The project has the most endpoints it may have.' },
    },
  },
  {
    method: 'GET',
    path: '/api/iris/webhooks/:id',
    operationId: 'getWebhook',
    summary: 'One endpoint',
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    query: EmptyBody,
    responses: { 200: { description: 'The endpoint.', schema: WebhookEndpointView }, 404: NOT_FOUND },
  },
  {
    method: 'PATCH',
    path: '/api/iris/webhooks/:id',
    operationId: 'updateWebhook',
    summary: "Change an endpoint's URL, event types or description",
    description:
      'Only the fields sent change (`description: null` removes it); at least one is required. The id, the signing secret and the delivery log stay. A new URL passes the same SSRF rules as a new endpoint (422 `webhook_url_refused`); pending deliveries and retries go to it. Events already queued are still delivered after their type is unsubscribed; new events follow the new types.',
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    body: UpdateWebhookBody,
    idempotent: true,
    responses: {
      200: { description: 'The changed endpoint.', schema: WebhookEndpointView },
      404: NOT_FOUND,
      409: { description: 'The endpoint is disabled (`webhook_disabled`).' },
    },
  },
  {
    method: 'DELETE',
    path: '/api/iris/webhooks/:id',
    operationId: 'deleteWebhook',
    summary: 'Disable an endpoint for good',
    description: 'Its delivery log stays readable.',
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    body: EmptyBody,
    bodyOptional: true,
    idempotent: true,
    responses: { 200: { description: 'The disabled endpoint.', schema: WebhookEndpointView }, 404: NOT_FOUND },
  },
  {
    method: 'GET',
    path: '/api/iris/webhooks/:id/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "The endpoint's delivery log, newest first",
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    query: ListWebhookDeliveriesQuery,
    responses: { 200: { description: 'A page of deliveries.', schema: page(WebhookDeliveryView) }, 404: NOT_FOUND },
  },
  {
    method: 'POST',
    path: '/api/iris/webhooks/:id/test',
    operationId: 'testWebhook',
    summary: 'Send the endpoint a signed webhook.test event',
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    body: EmptyBody,
    bodyOptional: true,
    idempotent: true,
    responses: {
      202: { description: 'Queued; sent in the background.', schema: WebhookTestResult },
      404: NOT_FOUND,
      409: { description: 'The endpoint is disabled (`webhook_disabled`).' },
    },
  },
  {
    method: 'POST',
    path: '/api/iris/webhooks/:id/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'Give the endpoint a new signing secret, keeping the old one for an overlap',
    description:
      'The new secret is in this answer only. Until `previousSecretExpiresAt` every delivery carries two signatures in `webhook-signature` (new, then old, space-delimited as Standard Webhooks allows), so a receiver verifies with either secret and can switch at any time. `overlapSeconds` defaults to 86400 (24 h), at most 604800; 0 retires the old secret at once. Rotating again during an overlap retires the oldest secret.',
    tag: TAG,
    auth: 'project',
    params: WebhookParams,
    body: RotateWebhookSecretBody,
    bodyOptional: true,
    idempotent: true,
    responses: {
      200: { description: 'The endpoint, with its new secret.', schema: RotatedWebhookSecret },
      404: NOT_FOUND,
      409: { description: 'The endpoint is disabled (`webhook_disabled`).' },
    },
  },
  {
    method: 'GET',
    path: '/api/cron/webhooks',
    operationId: 'cronWebhooks',
    summary: 'Send every webhook delivery that is due (Vercel Cron, every minute)',
    tag: 'Operations',
    auth: 'cron',
    query: EmptyBody,
    responses: { 200: { description: 'What the drain did, for at most 15 s.', schema: WebhookDrainReport } },
  },
];
