import postgres from 'postgres';
import { afterAll } from 'vitest';
import { migrate } from '../../../lib/db/migrations.js';
import { createPostgresDb, type PostgresDbOptions } from '../../../lib/db/postgres.js';
import type { SqlDb } from '../../../lib/db/types.js';

/** Databases of one suite on the shared PostgreSQL (IRIS_TEST_DATABASE_URL), dropped after it. */
export interface TestDatabases {
  /** A new empty database; returns its URL. */
  create(): Promise<string>;
  /** A new database with every migration applied; returns its URL. */
  createMigrated(): Promise<string>;
  /** A pooled connection to `url`, closed after the suite. */
  connect(url: string, options?: Omit<PostgresDbOptions, 'url'>): SqlDb;
}

/**
 * Registers the suite's cleanup (close every connection, drop every database)
 * and returns how to make databases. Call at the top of a `describe` that is
 * skipped when `adminUrl` is undefined.
 */
export function testDatabases(adminUrl: string | undefined, prefix: string): TestDatabases {
  const admin = postgres(adminUrl ?? 'postgres://unused', { max: 1, onnotice: () => undefined });
  const created: string[] = [];
  const open: SqlDb[] = [];
  const urlOf = (name: string) => {
    const url = new URL(adminUrl ?? 'postgres://unused');
    url.pathname = `/${name}`;
    return url.toString();
  };
  afterAll(async () => {
    await Promise.all(open.splice(0).map((db) => db.close()));
    for (const name of created) await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const dbs: TestDatabases = {
    async create() {
      const name = `${prefix}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
      await admin.unsafe(`create database ${name}`);
      created.push(name);
      return urlOf(name);
    },
    async createMigrated() {
      const url = await dbs.create();
      await migrate(dbs.connect(url, { poolMax: 1 }));
      return url;
    },
    connect(url, options = {}) {
      const db = createPostgresDb({ poolMax: 4, ...options, url });
      open.push(db);
      return db;
    },
  };
  return dbs;
}
