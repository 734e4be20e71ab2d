export { idempotencyKeyHash, requestFingerprint, sha256 } from './fingerprint.js';
export {
  ADMIN_SCOPE,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  IdempotencyOptionsError,
  writeOnce,
  type IdempotencyOptions,
  type KeyedWrite,
  type KeyedWriteResult,
} from './idempotency.js';
export {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MIN_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  type IdempotencyKeyParse,
} from './idempotency-key.js';
export {
  DEFAULT_RETENTION_BATCH_SIZE,
  DEFAULT_RETENTION_BUDGET_MS,
  RetentionOptionsError,
  RetentionSweepError,
  sweepRetention,
  type RetentionSweepOptions,
  type RetentionSweepReport,
  type RetentionTable,
} from './retention.js';
export {
  DEFAULT_ROLLUP_RETENTION_DAYS,
  DEFAULT_RUN_RETENTION_DAYS,
  MAX_RETENTION_DAYS,
  MIN_RETENTION_DAYS,
  retentionOf,
  type Retention,
} from './retention-settings.js';
export { seal, unseal, type SealOptions } from './seal.js';
