export { classifyAddress, deliverable, parseIpv4, parseIpv6, type AddressClass, type AddressInfo } from './address.js';
export { decodeBase64, encodeBase64, encodeBase64Url } from './base64.js';
export { createDeliverer, type AttemptOutcome, type Deliverer, type DelivererOptions, type DeliveryObserver, type DrainReport } from './deliverer.js';
export {
  budgetDedupeKey,
  eventBody,
  eventTypeLabel,
  TEST_EVENT_TYPE,
  WEBHOOK_EVENT_TYPES,
  type BudgetThresholdCrossedData,
  type WebhookEventType,
  type WebhookTestData,
} from './events.js';
export { systemResolver, type SystemResolverOptions } from './resolver.js';
export { DEFAULT_RETRY_POLICY, nextAttemptAt, parseRetryAfter, retryDelayMs, type FailedAttempt, type RetryPolicy } from './schedule.js';
export { createSecretBox, ENCRYPTION_KEY_BYTES, secretContext, type OpenFailure, type OpenResult, type SecretBox } from './secret-box.js';
export { createWebhooks, type DrainTrigger, type Webhooks, type WebhooksObserver, type WebhooksOptions } from './service.js';
export {
  generateSecret,
  MAX_SECRET_BYTES,
  MIN_SECRET_BYTES,
  SECRET_BYTES,
  SECRET_PREFIX,
  secretBytes,
  sign,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookHeaders,
  type SignedContent,
} from './signing.js';
export type { DeliveryRequest, DeliveryResult, WebhookTransport } from './transport.js';
export { createUrlGuard, MAX_URL_LENGTH, type Resolver, type UrlGuard, type UrlGuardOptions, type UrlRefusal, type UrlVerdict } from './url-guard.js';
