/**
 * The `SqlDb` for a PostgreSQL server reached over TCP (`DATABASE_URL`):
 * a postgres.js pool with prepared statements, sessions pinned to UTC, a
 * connect timeout, a server-side statement timeout for RPCs and a capped
 * reconnect delay. An RPC whose `signal` aborts leaves the pool's queue at
 * once when it was not sent yet (`mayHaveCommitted: false`).
 *
 * Behind a transaction-mode pooler (`pooler: 'transaction'`: PgBouncer,
 * Supabase's port 6543) a client holds a server connection for one
 * transaction only, so three things change (README, "Behind a pooler"):
 * - no named prepared statements (`prepare: false`): one prepared on one
 *   server connection does not exist on the next (PgBouncer before 1.21);
 * - one query in flight per connection: postgres.js sends a parameterised
 *   unnamed statement in two steps (Parse, Describe and Flush, then Bind,
 *   Execute and Sync), and one pipelined behind another query was written
 *   before that query's transaction ended; PgBouncer (1.18) then released
 *   the server connection under it ("got packet from server when not
 *   linked") and the client waited forever;
 * - no `statement_timeout` startup parameter, which PgBouncer refuses
 *   (`08P01 unsupported startup parameter`): set the timeout on the role.
 *
 * Node-only adapter module (TCP sockets).
 */
import postgres from 'postgres';
import { DbError } from './errors.js';
import { buildRpcStatement, toDbError } from './sql-rpc.js';
import type { RpcArgs, RpcName, RpcOptions, RpcRow, SqlDb } from './types.js';

export interface PostgresDbOptions {
  /** `postgres://user:password@host:port/database`, with `?sslmode=require` where needed. */
  url: string;
  /**
   * Most connections the pool opens.
   * @default 10
   */
  poolMax?: number;
  /**
   * Use named prepared statements. Off behind a transaction-mode pooler
   * (Supabase's port 6543, PgBouncer < 1.21), which cannot keep them.
   * @default true, or false with `pooler: 'transaction'`
   */
  prepare?: boolean;
  /**
   * `transaction` when `url` is a transaction-mode pooler: no prepared
   * statements, one query in flight per connection, and no statement timeout
   * sent at start-up (`statementTimeoutMs` must then be null; set it on the
   * role instead: `alter role … set statement_timeout = '1s'`).
   * @default null (a direct connection, or a session-mode pooler)
   */
  pooler?: 'transaction' | null;
  /**
   * Close a connection after it has been idle this long (serverless instances freeze; their sockets should not linger).
   * @default 30_000
   */
  idleTimeoutMs?: number;
  /**
   * Give up opening a connection after this long; the call rejects with
   * `DbError` `connection`. Keep it below the call's time budget (guarded.ts),
   * so an unreachable server shows up as a failed connection, which the
   * circuit breaker counts, rather than as a call cancelled in the queue, which it does not.
   * @default 1_000
   */
  connectTimeoutMs?: number;
  /**
   * Server-side `statement_timeout` of RPCs: Postgres cancels a slower call
   * itself (`DbError` `57014`, nothing committed), so the server stops working
   * on a call no one waits for. Raw `exec` and `query` (migrations, seeding)
   * run on a pool of their own without it. Null leaves the server's setting;
   * use null behind a pooler that refuses startup parameters, and set the
   * timeout on the role instead (`alter role … set statement_timeout`).
   * @default 1_000
   */
  statementTimeoutMs?: number | null;
  /**
   * Longest wait before reconnecting after a failed connection, in ms.
   * postgres.js backs off exponentially up to 20 s by default, so a call made
   * after the server came back could wait that long; the circuit breaker,
   * not the driver, is what keeps a down server from being hammered.
   * @default 500
   */
  maxReconnectDelayMs?: number;
  /**
   * `application_name` shown in `pg_stat_activity`.
   * @default 'iris'
   */
  applicationName?: string;
}

/**
 * RPC parameters arrive as text (see `buildRpcStatement`); postgres.js would
 * otherwise re-serialise them by their resolved type: JSON.stringify a jsonb
 * string a second time, round a timestamptz through a JS Date (losing
 * microseconds) and read the text 'true' as false. Values that are not
 * strings keep postgres.js's own handling, for `query()` callers.
 */
const passTextThrough = {
  iris_json: {
    to: 114,
    from: [114, 3802],
    serialize: (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x)),
    parse: (x: string) => JSON.parse(x) as unknown,
  },
  iris_timestamp: {
    to: 1184,
    from: [1082, 1114, 1184],
    serialize: (x: unknown) =>
      typeof x === 'string' ? x : (x instanceof Date ? x : new Date(x as number)).toISOString(),
    parse: (x: string) => new Date(x),
  },
  iris_boolean: {
    to: 16,
    from: [16],
    serialize: (x: unknown) => (typeof x === 'string' ? x : x === true ? 't' : 'f'),
    parse: (x: string) => x === 't',
  },
};

/** A postgres.js query exposes no state in its types; `state` is set once the query is written to a connection. */
const wasSent = (query: object) => (query as { state?: unknown }).state != null;

/**
 * Opens a lazy pool (no connection until the first call).
 * @example
 * const db = createPostgresDb({ url: process.env.DATABASE_URL!, poolMax: 5 });
 */
export function createPostgresDb(options: PostgresDbOptions): SqlDb {
  const pooled = options.pooler === 'transaction';
  const prepare = options.prepare ?? !pooled;
  const statementTimeoutMs = options.statementTimeoutMs === undefined ? (pooled ? null : 1_000) : options.statementTimeoutMs;
  if (pooled && statementTimeoutMs !== null) {
    throw new RangeError(
      "PostgresDbOptions.statementTimeoutMs must be null with pooler: 'transaction': the pooler refuses it as a startup parameter; set statement_timeout on the role",
    );
  }
  const maxReconnectDelayS = (options.maxReconnectDelayMs ?? 500) / 1000;
  const pool = (statementTimeout: number | null) =>
    postgres(options.url, {
      max: options.poolMax ?? 10,
      prepare,
      // Not in postgres.js's typings: how many queries may queue behind the one a connection runs. 0: none,
      // so a query is written only once the previous one's transaction has ended (its ReadyForQuery).
      ...(pooled ? ({ max_pipeline: 0 } as object) : {}),
      idle_timeout: (options.idleTimeoutMs ?? 30_000) / 1000,
      connect_timeout: (options.connectTimeoutMs ?? 1_000) / 1000,
      // postgres.js's own curve (3^n / 100 s, jittered), capped.
      backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, maxReconnectDelayS),
      onnotice: () => {},
      // Iris uses no array types; skipping the lookup saves a round trip per new connection.
      fetch_types: false,
      types: passTextThrough,
      connection: {
        TimeZone: 'UTC',
        application_name: options.applicationName ?? 'iris',
        ...(statementTimeout === null ? {} : { statement_timeout: statementTimeout }),
      },
    });
  const sql = pool(statementTimeoutMs);
  // Migrations and seeding may run longer than any RPC: their own pool, opened on first use, without the timeout.
  let rawSql: ReturnType<typeof pool> | undefined = statementTimeoutMs === null ? sql : undefined;
  const raw = () => (rawSql ??= pool(null));
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    async rpc<N extends RpcName>(name: N, args: RpcArgs<N>, callOptions?: RpcOptions): Promise<RpcRow<N>[]> {
      const statement = buildRpcStatement(name, args);
      const signal = callOptions?.signal;
      if (signal?.aborted) throw abandoned(name, false);
      const query = sql.unsafe<{ r: RpcRow<N> }[]>(statement.text, statement.params, { prepare });
      const rows = await new Promise<{ r: RpcRow<N> }[]>((resolve, reject) => {
        const onAbort = () => {
          const sent = wasSent(query);
          // A query still waiting for a connection leaves the queue at once and never runs. A sent one is
          // left to the server's statement_timeout: a cancel request needs a new connection, and with the
          // server down it would only fail.
          if (!sent) query.cancel();
          reject(abandoned(name, sent));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        query.then(
          (result) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(result);
          },
          (error: unknown) => {
            signal?.removeEventListener('abort', onAbort);
            reject(toDbError(name, error, 'XX000', wasSent(query)));
          },
        );
      });
      return rows.map((row) => row.r);
    },
    async exec(text: string): Promise<void> {
      try {
        await raw().unsafe(text).simple();
      } catch (error) {
        throw toDbError('exec', error);
      }
    },
    async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
      try {
        const rows = await raw().unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
        return [...rows] as T[];
      } catch (error) {
        throw toDbError('query', error);
      }
    },
    close(): Promise<void> {
      closing ??= Promise.all([sql.end({ timeout: 5 }), rawSql && rawSql !== sql ? rawSql.end({ timeout: 5 }) : undefined]).then(() => undefined);
      return closing;
    },
  };
}

/** The call's budget ran out (its signal was aborted); `sent` says whether the statement had gone out. */
function abandoned(fn: string, sent: boolean): DbError {
  return new DbError(fn, 'timeout', `${fn} was abandoned: no answer within its time budget${sent ? '' : ' (never sent)'}`, { mayHaveCommitted: sent });
}
