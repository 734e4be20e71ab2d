import type { Db, IdempotentRpc, RpcArgs, RpcRow, Timestamp } from '../db/types.js';
import { idempotencyKeyHash } from './fingerprint.js';

/**
 * Idempotent writes over the `Db` port: one write RPC and its idempotency
 * record commit together, in the database (`write_once`, migration 0005), so
 * whatever fails where (the client, the network, this instance, PostgreSQL),
 * a retry with the same key either finds the record of a write that committed
 * or finds nothing because nothing committed. docs/lifecycle.md has the HTTP
 * semantics; lib/routes/idempotent.ts maps the outcomes onto responses.
 */

/** How long a key's first answer is kept and replayed: 24 hours. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** Bounds `write_once` accepts for the lifetime, in ms (1 minute to 7 days). */
export const MIN_IDEMPOTENCY_TTL_MS = 60_000;
export const MAX_IDEMPOTENCY_TTL_MS = 7 * 24 * 3_600_000;

/** The scope of the admin routes' keys; a project's keys are scoped by its id. */
export const ADMIN_SCOPE = 'admin';

export interface IdempotencyOptions {
  /**
   * How long the first answer under a key is kept and replayed, in ms; after it
   * the key may be used again. Between 1 minute and 7 days.
   * @default 86_400_000 (24 h)
   */
  ttlMs?: number;
}

/** One write, keyed. */
export interface KeyedWrite<N extends IdempotentRpc> {
  /** A project id, or `ADMIN_SCOPE`. Always the server's, never the client's. */
  scope: string;
  /** The validated Idempotency-Key (stored only as its SHA-256). */
  key: string;
  /** `requestFingerprint()` of the request. */
  fingerprint: string;
  rpc: N;
  args: RpcArgs<N>;
  /** A sealed secret to keep with the answer (see seal.ts). */
  sealed?: string | null;
}

export type KeyedWriteResult<N extends IdempotentRpc> =
  /** `stored`: the write ran now. `replayed`: it ran before, for the same request; `rows` are the first answer's. */
  | { outcome: 'stored' | 'replayed'; rows: RpcRow<N>[]; sealed: string | null; firstSeenAt: Timestamp }
  /** The key belongs to a different request; nothing ran. */
  | { outcome: 'mismatch'; firstSeenAt: Timestamp }
  /** The key's first request is still running; nothing ran. */
  | { outcome: 'in_flight' };

export class IdempotencyOptionsError extends Error {
  static readonly code = 'E_IDEMPOTENCY_OPTIONS';
  override readonly name = 'IdempotencyOptionsError';
}

/**
 * Runs `write.rpc` at most once per (scope, key) within the lifetime, in one
 * database call.
 * @throws DbError as the write itself would (nothing is recorded then), and
 *   IdempotencyOptionsError for a lifetime out of bounds.
 * @example
 * const done = await writeOnce(db, { scope: projectId, key, fingerprint, rpc: 'create_report', args });
 * if (done.outcome === 'stored' || done.outcome === 'replayed') render(done.rows);
 */
export async function writeOnce<N extends IdempotentRpc>(db: Db, write: KeyedWrite<N>, options: IdempotencyOptions = {}): Promise<KeyedWriteResult<N>> {
  const ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
  if (!Number.isInteger(ttlMs) || ttlMs < MIN_IDEMPOTENCY_TTL_MS || ttlMs > MAX_IDEMPOTENCY_TTL_MS) {
    throw new IdempotencyOptionsError(`ttlMs must be a whole number of ms from ${MIN_IDEMPOTENCY_TTL_MS} to ${MAX_IDEMPOTENCY_TTL_MS}, not ${ttlMs}`);
  }
  const [row] = await db.rpc('write_once', {
    p_scope: write.scope,
    p_key_hash: await idempotencyKeyHash(write.key),
    p_fingerprint: write.fingerprint,
    p_ttl_seconds: Math.round(ttlMs / 1000),
    p_rpc: write.rpc,
    p_args: write.args as Readonly<Record<string, unknown>>,
    p_sealed: write.sealed ?? null,
  });
  if (!row) throw new Error('write_once returned no row');
  switch (row.outcome) {
    case 'stored':
    case 'replayed':
      return { outcome: row.outcome, rows: (row.result ?? []) as unknown as RpcRow<N>[], sealed: row.sealed, firstSeenAt: row.first_seen_at ?? '' };
    case 'mismatch':
      return { outcome: 'mismatch', firstSeenAt: row.first_seen_at ?? '' };
    case 'in_flight':
      return { outcome: 'in_flight' };
  }
}
