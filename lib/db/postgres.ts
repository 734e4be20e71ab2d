/**
 * The `SqlDb` for a PostgreSQL server reached over TCP (`DATABASE_URL`):
 * a postgres.js pool with prepared statements, sessions pinned to UTC.
 *
 * Node-only adapter module (TCP sockets).
 */
import postgres from 'postgres';
import { buildRpcStatement, toDbError } from './sql-rpc.js';
import type { RpcArgs, RpcName, RpcRow, SqlDb } from './types.js';

export interface PostgresDbOptions {
  /** `postgres://user:password@host:port/database`, with `?sslmode=require` where needed. */
  url: string;
  /**
   * Most connections the pool opens.
   * @default 10
   */
  poolMax?: number;
  /**
   * Use named prepared statements. Turn off behind a transaction-mode pooler
   * (Supabase's port 6543, PgBouncer < 1.21), which cannot keep them.
   * @default true
   */
  prepare?: boolean;
  /**
   * Close a connection after it has been idle this long (serverless instances freeze; their sockets should not linger).
   * @default 30_000
   */
  idleTimeoutMs?: number;
  /**
   * Give up opening a connection after this long; the call rejects with `DbError` `connection`.
   * @default 10_000
   */
  connectTimeoutMs?: number;
  /**
   * Server-side `statement_timeout`; a slower call rejects with `DbError` `57014`. Null leaves the server's setting.
   * @default null
   */
  statementTimeoutMs?: number | null;
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

/**
 * Opens a lazy pool (no connection until the first call).
 * @example
 * const db = createPostgresDb({ url: process.env.DATABASE_URL!, poolMax: 5 });
 */
export function createPostgresDb(options: PostgresDbOptions): SqlDb {
  const prepare = options.prepare ?? true;
  const sql = postgres(options.url, {
    max: options.poolMax ?? 10,
    prepare,
    idle_timeout: (options.idleTimeoutMs ?? 30_000) / 1000,
    connect_timeout: (options.connectTimeoutMs ?? 10_000) / 1000,
    onnotice: () => {},
    // Iris uses no array types; skipping the lookup saves a round trip per new connection.
    fetch_types: false,
    types: passTextThrough,
    connection: {
      TimeZone: 'UTC',
      application_name: options.applicationName ?? 'iris',
      ...(options.statementTimeoutMs == null ? {} : { statement_timeout: options.statementTimeoutMs }),
    },
  });
  let closing: Promise<void> | undefined;

  return {
    kind: 'postgres',
    async rpc<N extends RpcName>(name: N, args: RpcArgs<N>): Promise<RpcRow<N>[]> {
      const statement = buildRpcStatement(name, args);
      try {
        const rows = await sql.unsafe<{ r: RpcRow<N> }[]>(statement.text, statement.params, { prepare });
        return rows.map((row) => row.r);
      } catch (error) {
        throw toDbError(name, error);
      }
    },
    async exec(text: string): Promise<void> {
      try {
        await sql.unsafe(text).simple();
      } catch (error) {
        throw toDbError('exec', error);
      }
    },
    async query<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
      try {
        const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
        return [...rows] as T[];
      } catch (error) {
        throw toDbError('query', error);
      }
    },
    close(): Promise<void> {
      closing ??= sql.end({ timeout: 5 });
      return closing;
    },
  };
}
