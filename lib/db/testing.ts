/**
 * Test support for suites that run against every Db adapter (the contract
 * suites): one migrated database per suite, and the few checks that need raw
 * SQL skipped where the adapter has none. Imports vitest: test code only.
 */
import { afterAll, beforeAll, type TestContext } from 'vitest';
import type { Db, SqlDb } from './types.js';

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
