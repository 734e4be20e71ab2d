import { anySignal } from './abort.js';
import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import { DbError } from './errors.js';
import type { Db, RpcArgs, RpcName, RpcOptions, RpcRow } from './types.js';

/**
 * The Supabase adapter: every RPC is a `POST /rest/v1/rpc/<name>` to
 * PostgREST through supabase-js, authenticated with the service-role key.
 * Web-standard only (fetch, AbortSignal), so it runs on Node and Edge.
 *
 * Errors become `DbError`s whose `sqlState` is:
 * - the Postgres SQLSTATE when PostgREST relays one (`23505`, `22P02`, ...);
 * - PostgREST's own code when it has one (`PGRST202`: no such function);
 * - `connection` when the request never got an answer, or a gateway in front
 *   of PostgREST answered 502/503 without a code;
 * - `timeout` when `timeoutMs` passed first, or a gateway answered 504;
 * - `http_<status>` for any other answer without a code (for example a 401
 *   from the API gateway for a wrong key).
 *
 * `mayHaveCommitted` is true when the request may have been processed without
 * its answer arriving: a timeout or abort, a fetch that failed, a gateway's
 * 502 or 504. An answer with a code means PostgREST rolled the call back.
 */
export interface SupabaseDbOptions {
  /** Project URL, for example `https://abcd.supabase.co`; PostgREST lives under `/rest/v1`. */
  url: string;
  /** Service-role key, sent as `apikey` and `Authorization: Bearer`. Bypasses RLS: server side only. */
  serviceRoleKey: string;
  /**
   * Client-side deadline for one RPC, in milliseconds; when it passes the
   * fetch is aborted and the call rejects with `sqlState: 'timeout'`. The
   * per-call `signal` (the guarded Db's budget) aborts it too, whichever comes first.
   * @default 1_500
   */
  timeoutMs?: number;
  /** The fetch every request goes through (tests, tracing). @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What postgrest-js resolves `error` with: PostgREST's JSON error body, or its own rendering of a fetch failure. */
interface PostgrestFailure {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const POSTGREST_CODE = /^PGRST\d+$/;
// postgrest-js renders a rejected fetch as `${error.name}: ${error.message}`;
// AbortSignal.timeout() rejects with a DOMException named TimeoutError.
const ABORTED = /^(TimeoutError|AbortError)\b/;
const REFUSED = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/;

/**
 * Supabase Realtime is never used, but supabase-js 2.109 builds a realtime
 * client eagerly and throws when the runtime has no global WebSocket (Node 20,
 * some Edge runtimes). Handing it this stub keeps construction working
 * without importing the Node-only `ws`; opening a socket would fail loudly.
 */
const NoRealtimeWebSocket = class {
  constructor() {
    throw new Error('Iris does not use Supabase Realtime: no WebSocket is available in this runtime.');
  }
} as unknown as WebSocketLikeConstructor;

function validate(options: SupabaseDbOptions): Required<Omit<SupabaseDbOptions, 'fetch'>> {
  const { url, serviceRoleKey, timeoutMs = 1_500 } = options;
  if (!/^https?:\/\/[^/]/.test(url)) throw new TypeError(`SupabaseDbOptions.url must be an http(s) URL, got "${url}"`);
  if (!serviceRoleKey) throw new TypeError('SupabaseDbOptions.serviceRoleKey must not be empty');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`SupabaseDbOptions.timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  return { url, serviceRoleKey, timeoutMs };
}

function toDbError(fn: string, status: number, error: PostgrestFailure): DbError {
  const code = error.code ?? '';
  const message = error.message ?? '';
  if (SQLSTATE.test(code) || POSTGREST_CODE.test(code)) {
    return new DbError(fn, code, message || `PostgREST answered ${code}`, { cause: error });
  }
  if (status === 0) {
    const sqlState = ABORTED.test(message) ? 'timeout' : 'connection';
    // postgrest-js puts the fetch failure's cause in `details`: a refused connection never carried the request.
    const refused = sqlState === 'connection' && REFUSED.test(error.details ?? '');
    return new DbError(fn, sqlState, `Supabase did not answer ${fn}: ${message}`, { cause: error, mayHaveCommitted: !refused });
  }
  const sqlState = status === 502 || status === 503 ? 'connection' : status === 504 ? 'timeout' : `http_${status}`;
  const excerpt = message.length > 200 ? `${message.slice(0, 200)}...` : message;
  // A 503 means the gateway had nothing to hand the request to; a 502 or 504, that it may have been processed.
  const mayHaveCommitted = status === 502 || status === 504;
  return new DbError(fn, sqlState, `Supabase answered HTTP ${status} to ${fn}: ${excerpt}`, { cause: error, mayHaveCommitted });
}

/**
 * Creates a `Db` that calls Postgres functions through Supabase's PostgREST.
 * One supabase-js client per instance; no session, no token refresh.
 * @example
 * const db = createSupabaseDb({ url: 'https://abcd.supabase.co', serviceRoleKey: key });
 * const [overview] = await db.rpc('get_project_overview', { p_project_id: id });
 */
export function createSupabaseDb(options: SupabaseDbOptions): Db {
  const { url, serviceRoleKey, timeoutMs } = validate(options);
  const client = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { schema: 'public' },
    global: options.fetch ? { fetch: options.fetch } : {},
    realtime: typeof globalThis.WebSocket === 'undefined' ? { transport: NoRealtimeWebSocket } : undefined,
  });
  let closed = false;

  return {
    kind: 'supabase',
    async rpc<N extends RpcName>(name: N, args: RpcArgs<N>, callOptions?: RpcOptions): Promise<RpcRow<N>[]> {
      if (closed) throw new DbError(name, 'connection', `Cannot call ${name}: this Supabase Db is closed`);
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = callOptions?.signal ? anySignal([deadline, callOptions.signal]) : deadline;
      const { data, error, status } = await client.rpc(name, args as Record<string, unknown>).abortSignal(signal);
      if (error) throw toDbError(name, status, error);
      // Every Iris RPC returns a set, which PostgREST sends as a JSON array.
      if (data === null || data === undefined) return [];
      return (Array.isArray(data) ? data : [data]) as RpcRow<N>[];
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await client.removeAllChannels();
    },
  };
}
