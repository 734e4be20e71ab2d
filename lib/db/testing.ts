/**
 * Test helpers for anything built on the `Db` port: a "chaos" Db that fails or
 * hangs on demand around a real one, as lib/cache/testing.ts does for the KV;
 * and support for suites that run against every adapter (the contract
 * suites): one migrated database per suite, and the few checks that need raw
 * SQL skipped where the adapter has none. Imports vitest: not exported from
 * index.ts, import `lib/db/testing.js` from tests only.
 */
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { DbError } from './errors.js';
import type { Db, RpcArgs, RpcName, RpcOptions, RpcRow, SqlDb } from './types.js';

/** What the chaos Db does with a call: delegate, reject with an error, or hang until the mode changes or the call is aborted. */
export type DbChaosMode = { mode: 'pass' } | { mode: 'fail'; error: (fn: RpcName) => DbError } | { mode: 'hang' };

export interface ChaosDb extends Db {
  /** Applies `mode` to the RPCs named in `fns` (every RPC when omitted); a hanging call resumes under the new mode. */
  set(mode: DbChaosMode, fns?: readonly RpcName[]): void;
  /** Calls that reached the chaos Db, per RPC (refused ones included). */
  calls(fn?: RpcName): number;
  /** Calls hanging right now. */
  readonly hanging: number;
}

/** The `DbError` a call rejects with; fails the test when it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<DbError> {
  const error = await promise.then(
    () => new Error('expected the call to reject'),
    (e: unknown) => e,
  );
  if (!(error instanceof DbError)) throw new Error(`expected a DbError, got ${String(error)}`, { cause: error });
  return error;
}

/** A `DbError` as an unreachable server gives it (ECONNREFUSED: nothing was sent). */
export const refused = (fn: string) => new DbError(fn, 'connection', 'connect ECONNREFUSED 127.0.0.1:5432');

export function createChaosDb(inner: Db): ChaosDb {
  const modes = new Map<RpcName | '*', DbChaosMode>([['*', { mode: 'pass' }]]);
  const counts = new Map<RpcName, number>();
  const waiters = new Set<() => void>();
  const modeOf = (fn: RpcName) => modes.get(fn) ?? modes.get('*')!;

  async function call<N extends RpcName>(name: N, args: RpcArgs<N>, options?: RpcOptions): Promise<RpcRow<N>[]> {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    for (;;) {
      const current = modeOf(name);
      if (current.mode === 'fail') throw current.error(name);
      if (current.mode === 'pass') return inner.rpc(name, args, options);
      if (options?.signal?.aborted) throw new DbError(name, 'timeout', `${name} was aborted while hanging`, { mayHaveCommitted: true });
      await new Promise<void>((resolve) => {
        const wake = () => {
          waiters.delete(wake);
          options?.signal?.removeEventListener('abort', wake);
          resolve();
        };
        waiters.add(wake);
        options?.signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  return {
    kind: inner.kind,
    rpc: call,
    close: () => inner.close(),
    set(mode, fns) {
      if (fns === undefined) {
        modes.clear();
        modes.set('*', mode);
      } else {
        for (const fn of fns) modes.set(fn, mode);
      }
      for (const wake of [...waiters]) wake();
    },
    calls: (fn) => (fn === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(fn) ?? 0)),
    get hanging() {
      return waiters.size;
    },
  };
}

/** The adapter as a `SqlDb` when it can run raw SQL (PGlite, postgres.js), else null (Supabase). */
export function asSqlDb(db: Db): SqlDb | null {
  return 'query' in db && typeof (db as SqlDb).query === 'function' ? (db as SqlDb) : null;
}

export interface SuiteDb {
  /** The suite's database, once `beforeAll` has run. */
  readonly db: Db;
  /** The database as a `SqlDb`, or skips the calling test when the adapter has no raw SQL. */
  sqlOrSkip(ctx: TestContext): SqlDb;
}

/**
 * Opens `makeDb()` before the suite's tests and closes it after; call inside a `describe`.
 * @example
 * const suite = suiteDb(makeDb);
 * it('…', async (ctx) => { await suite.db.rpc(…); const sql = suite.sqlOrSkip(ctx); });
 */
export function suiteDb(makeDb: () => Promise<Db>): SuiteDb {
  let db: Db | undefined;
  beforeAll(async () => {
    db = await makeDb();
  });
  afterAll(async () => {
    await db?.close();
  });
  return {
    get db(): Db {
      if (!db) throw new Error('the suite database is opened in beforeAll');
      return db;
    },
    sqlOrSkip(ctx) {
      const sql = asSqlDb(this.db);
      if (!sql) ctx.skip('needs SqlDb.query');
      return sql!;
    },
  };
}
