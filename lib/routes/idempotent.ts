import type { IdempotentRpc, RpcArgs, RpcRow } from '../db/types.js';
import { badRequest, HttpError } from '../errors.js';
import type { RouteContext } from '../http/index.js';
import {
  ADMIN_SCOPE,
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  parseIdempotencyKey,
  requestFingerprint,
  seal,
  unseal,
  writeOnce,
} from '../lifecycle/index.js';

/** Where a client reads what the header means (the draft asks for a link to the documentation). */
const DOCS = 'docs/lifecycle.md#idempotent-writes';

export interface RouteWrite<N extends IdempotentRpc> {
  rpc: N;
  args: RpcArgs<N>;
  /** The request body as validated (the fingerprint is taken over it), or undefined for a route without one. */
  body: unknown;
  /**
   * A secret that is part of the answer and stored nowhere else (a new API
   * key's plaintext). With an Idempotency-Key it is kept sealed in the record,
   * so a replay can return it; see lib/lifecycle/seal.ts.
   */
  secret?: string;
}

export interface RouteWriteResult<N extends IdempotentRpc> {
  rows: RpcRow<N>[];
  /** True when these rows are the stored answer of an earlier request with the same key. */
  replayed: boolean;
  /** The answer's secret: `write.secret`, or on a replay the first request's. */
  secret: string | undefined;
}

/**
 * Runs a write route's RPC, at most once per `Idempotency-Key` when the
 * request has one (draft-ietf-httpapi-idempotency-key-header): the first
 * request runs it and its rows are stored in the same transaction; a retry
 * with the same method, path and body gets those rows back (and the
 * `Idempotent-Replayed: true` header), so the route renders the same answer;
 * the key with another request is a 422, and while its first request still
 * runs, a 409. Keys are per project (per admin scope on admin routes), never
 * logged and never a metric label. Without the header it is a plain RPC.
 * @example
 * const { rows: [row] } = await runWrite(c, { rpc: 'create_report', args, body });
 */
export async function runWrite<N extends IdempotentRpc>(c: RouteContext, write: RouteWrite<N>): Promise<RouteWriteResult<N>> {
  const parsed = parseIdempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER));
  const { db, metrics, config } = c.get('services');
  if (parsed.kind === 'absent') return { rows: await db.rpc(write.rpc, write.args), replayed: false, secret: write.secret };
  if (parsed.kind === 'invalid') {
    throw badRequest('invalid_idempotency_key', `The Idempotency-Key header ${parsed.reason}.`, { header: IDEMPOTENCY_KEY_HEADER, docs: DOCS });
  }

  const scope = c.get('access') === 'admin' ? ADMIN_SCOPE : c.get('project').id;
  // Sealed with a secret the database never sees; only admin routes carry secrets, and they exist only with a token.
  const sealing = write.secret === undefined ? null : { secret: config.adminToken ?? '', context: `${scope}\n${parsed.key}` };
  const done = await writeOnce(db, {
    scope,
    key: parsed.key,
    fingerprint: await requestFingerprint(c.req.method, c.req.path, write.body),
    rpc: write.rpc,
    args: write.args,
    sealed: sealing && write.secret !== undefined ? await seal(write.secret, sealing) : null,
  });
  metrics.idempotentRequest(c.req.routePath, done.outcome);

  switch (done.outcome) {
    case 'in_flight':
      throw new HttpError(409, 'idempotency_key_in_flight', 'A request with this Idempotency-Key is still being processed; retry after it finishes.', {
        details: { docs: DOCS },
        headers: { 'Retry-After': '1' },
      });
    case 'mismatch':
      throw new HttpError(
        422,
        'idempotency_key_reused',
        'This Idempotency-Key was already used for a different request (method, path or body); use a new key for a new request.',
        { details: { firstUsedAt: done.firstSeenAt, docs: DOCS } },
      );
    case 'stored':
      return { rows: done.rows, replayed: false, secret: write.secret };
    case 'replayed': {
      c.get('responseHeaders')[IDEMPOTENT_REPLAYED_HEADER] = 'true';
      let secret: string | undefined;
      if (sealing && done.sealed !== null) {
        secret = (await unseal(done.sealed, sealing)) ?? undefined;
        // The admin token changed since: the first answer's key cannot be shown again.
        if (secret === undefined) {
          throw new HttpError(410, 'idempotency_replay_unavailable', 'The first answer under this Idempotency-Key held a secret that can no longer be recovered (the admin token changed); revoke what it created and retry with a new key.');
        }
      }
      return { rows: done.rows, replayed: true, secret };
    }
  }
}
