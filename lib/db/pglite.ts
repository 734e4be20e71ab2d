/**
 * The embedded `SqlDb`: PGlite (Postgres compiled to WebAssembly) in this
 * process, in memory or in a data directory. The default when no database is
 * configured, and what unit tests run on.
 *
 * Node-only adapter module (PGlite's Node file system, migration files on disk).
 */
import { PGlite } from '@electric-sql/pglite';
import { migrate } from './migrations.js';
import { DbError } from './errors.js';
import { buildRpcStatement, toDbError } from './sql-rpc.js';
import type { RpcArgs, RpcName, RpcOptions, RpcRow, SqlDb } from './types.js';

export interface PgliteDbOptions {
  /**
   * Directory that keeps the database between runs; null or absent keeps it in memory.
   * @default null
   */
  dataDir?: string | null;
  /**
   * Apply `supabase/migrations` before returning (a no-op for files already applied).
   * @default true
   */
  migrate?: boolean;
  /**
   * Where the migration files are.
   * @default this repository's `supabase/migrations`
   */
  migrationsDir?: string;
}

/**
 * Starts PGlite, pins its session to UTC (so timestamps render as `+00:00`)
 * and migrates it.
 * @example
 * const db = await createPgliteDb({ dataDir: '.data/pglite' });
 * const [overview] = await db.rpc('get_project_overview', { p_project_id: id });
 */
export async function createPgliteDb(options: PgliteDbOptions = {}): Promise<SqlDb> {
  let pg: PGlite;
  try {
    pg = await PGlite.create(options.dataDir ?? undefined);
    await pg.exec("set time zone 'UTC'");
  } catch (error) {
    throw toDbError('connect', error, 'connection');
  }
  // A closed PGlite throws a plain Error; report it as unavailable like a dropped connection.
  const fail = (fn: string, error: unknown) => toDbError(fn, error, pg.closed ? 'connection' : 'XX000');
  let closing: Promise<void> | undefined;

  const db: SqlDb = {
    kind: 'pglite',
    // PGlite runs in this process and cannot cancel a query: a `signal` is honoured before the call only
    // (the guarded Db stops waiting when the budget is spent).
    async rpc<N extends RpcName>(name: N, args: RpcArgs<N>, callOptions?: RpcOptions): Promise<RpcRow<N>[]> {
      const statement = buildRpcStatement(name, args);
      if (callOptions?.signal?.aborted) throw new DbError(name, 'timeout', `${name} was abandoned before it ran`);
      try {
        const result = await pg.query<{ r: RpcRow<N> }>(statement.text, statement.params);
        return result.rows.map((row) => row.r);
      } catch (error) {
        throw fail(name, error);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await pg.exec(sql);
      } catch (error) {
        throw fail('exec', error);
      }
    },
    async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
      try {
        return (await pg.query<T>(sql, params)).rows;
      } catch (error) {
        throw fail('query', error);
      }
    },
    close(): Promise<void> {
      closing ??= pg.closed ? Promise.resolve() : pg.close();
      return closing;
    },
  };

  if (options.migrate ?? true) {
    try {
      await migrate(db, options.migrationsDir === undefined ? {} : { dir: options.migrationsDir });
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}
