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
const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((types) => new Set(types).size === types.length, { message: 'must not list an event type twice' });

export const CreateWebhookBody = z.strictObject({
  ...projectIdAssertion,
  url: text(MAX_URL_LENGTH, 1),
  eventTypes,
  description: text(256, 1).optional(),
});

/**
 * A change to an enabled endpoint (PATCH): any of its URL (checked by the SSRF
 * guard like a new one), event types and description (null removes it). The
 * id, the signing secret and the delivery log stay.
 */
export const UpdateWebhookBody = z
  .strictObject({
    ...projectIdAssertion,
    url: text(MAX_URL_LENGTH, 1).optional(),
    eventTypes: eventTypes.optional(),
    description: text(256, 1).nullable().optional(),
  })
  .refine((b) => Object.keys(b).some((k) => k !== 'projectId'), { message: 'name at least one field to change: url, eventTypes or description' });
export type UpdateWebhook = z.output<typeof UpdateWebhookBody>;

/** The longest overlap of a signing-secret rotation, in seconds (7 days; rotate_webhook_secret enforces it too). */
export const MAX_SECRET_OVERLAP_S = 604_800;
/** The overlap of a rotation that names none, in seconds (24 h). */
export const DEFAULT_SECRET_OVERLAP_S = 86_400;

/** A signing-secret rotation: how long the old secret keeps signing next to the new one (0 retires it at once). */
export const RotateWebhookSecretBody = z.strictObject({
  ...projectIdAssertion,
  overlapSeconds: z.int().min(0).max(MAX_SECRET_OVERLAP_S).default(DEFAULT_SECRET_OVERLAP_S),
});
