import { z } from 'zod';
import { MAX_URL_LENGTH, WEBHOOK_EVENT_TYPES } from '../webhooks/index.js';
import { pageQuery, projectIdAssertion, text, uuid } from './common.js';

/** `{id}` of /api/iris/webhooks/{id}/…: an endpoint id. */
export const WebhookParams = z.strictObject({ id: uuid });

export const ListWebhooksQuery = z.strictObject({ ...projectIdAssertion, ...pageQuery });

export const ListWebhookDeliveriesQuery = z.strictObject({ ...projectIdAssertion, ...pageQuery });

/**
 * A new endpoint. The URL's shape is checked here; whether it may be called
 * at all (https, public addresses only) by the SSRF guard, which resolves it.
 */
export const CreateWebhookBody = z.strictObject({
  ...projectIdAssertion,
  url: text(MAX_URL_LENGTH, 1),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((types) => new Set(types).size === types.length, { message: 'must not list an event type twice' }),
  description: text(256, 1).optional(),
});
