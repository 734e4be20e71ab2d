/**
 * Applies `supabase/migrations/*.sql` in order and records each file in
 * `iris_schema_migrations (name, checksum, applied_at)`, so running it again
 * is a no-op. Used by PGlite at start-up and by `npm run db:migrate`.
 *
 * Node-only module (reads the migration files from disk).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlDb } from './types.js';

export interface MigrateOptions {
  /**
   * Directory holding the numbered migration files (`0001_schema.sql`, ...).
   * @default this repository's `supabase/migrations`, found next to this module or under the working directory
   */
  dir?: string;
}

export interface MigrationFile {
  /** File name, e.g. `0001_schema.sql`; files apply in lexical order. */
  name: string;
  /** Hex SHA-256 of the file contents. */
  checksum: string;
  sql: string;
}

export interface MigrationResult {
  name: string;
  /** `applied` now, or `skipped` because the same file was applied before. */
  status: 'applied' | 'skipped';
}

/** A migration directory or history Iris cannot apply safely. */
export class MigrationError extends Error {
  static readonly code = 'E_MIGRATION';
  override readonly name = 'MigrationError';
}

/** Numbered like `supabase db push` expects: `<digits>_<name>.sql`. */
const FILE_NAME = /^[0-9]+_[a-z0-9_]+\.sql$/;

/** Any constant works; it only has to be the same for every Iris migrator. */
const LOCK_KEY = 7_368_214_117;

/** Under the lock too: two concurrent `create table if not exists` can both try to create it. */
const TRACKING_TABLE = `
select pg_advisory_xact_lock(${LOCK_KEY});
create table if not exists public.iris_schema_migrations (
  name text primary key,
  checksum text not null,
  applied_at timestamptz not null default now()
);
alter table public.iris_schema_migrations enable row level security;
`;

/** The migrations directory used when `MigrateOptions.dir` is absent. */
export function defaultMigrationsDir(): string {
  const besideModule = fileURLToPath(new URL('../../supabase/migrations/', import.meta.url));
  return existsSync(besideModule) ? besideModule : resolve(process.cwd(), 'supabase/migrations');
}

/**
 * Reads every `*.sql` file of `dir`, sorted by name.
 * @throws MigrationError for a `.sql` file that is not named `<digits>_<name>.sql`.
 */
export async function readMigrations(dir: string = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(
    names.map(async (name) => {
      if (!FILE_NAME.test(name)) {
        throw new MigrationError(`migration file ${name} in ${dir} must be named <digits>_<lowercase_name>.sql`);
      }
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, checksum: createHash('sha256').update(sql).digest('hex'), sql };
    }),
  );
}

/**
 * Applies every migration not yet recorded, each in its own transaction
 * (the file, then its tracking row, sent as one multi-statement query, which
 * Postgres runs atomically). Files must therefore not contain their own
 * BEGIN/COMMIT or statements that refuse a transaction (CREATE INDEX
 * CONCURRENTLY). An advisory lock makes concurrent migrators take turns; a
 * file that a rival applied meanwhile is re-run harmlessly because every file
 * is idempotent.
 * @throws MigrationError when a recorded file has changed since it was applied
 *   (add a new numbered file instead of editing an applied one).
 */
export async function migrate(db: SqlDb, options: MigrateOptions = {}): Promise<MigrationResult[]> {
  const files = await readMigrations(options.dir);
  await db.exec(TRACKING_TABLE);
  const applied = new Map(
    (await db.query<{ name: string; checksum: string }>('select name, checksum from public.iris_schema_migrations')).map(
      (row) => [row.name, row.checksum],
    ),
  );
  const results: MigrationResult[] = [];
  for (const file of files) {
    const recorded = applied.get(file.name);
    if (recorded === file.checksum) {
      results.push({ name: file.name, status: 'skipped' });
      continue;
    }
    if (recorded !== undefined) {
      throw new MigrationError(
        `migration ${file.name} changed after it was applied (checksum ${recorded} -> ${file.checksum}); ` +
          'add a new numbered migration instead',
      );
    }
    // name and checksum match FILE_NAME and hex, so inlining them is safe.
    await db.exec(
      `select pg_advisory_xact_lock(${LOCK_KEY});\n${file.sql}\n;\n` +
        `insert into public.iris_schema_migrations (name, checksum) values ('${file.name}', '${file.checksum}') ` +
        'on conflict (name) do nothing;',
    );
    results.push({ name: file.name, status: 'applied' });
  }
  return results;
}
