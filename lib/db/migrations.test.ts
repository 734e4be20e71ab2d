import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXPECTED_MIGRATIONS } from './manifest.js';
import { defaultMigrationsDir, migrate, MigrationError, readMigrations } from './migrations.js';
import { createPgliteDb } from './pglite.js';
import type { SqlDb } from './types.js';

const open: SqlDb[] = [];
const dirs: string[] = [];

async function bareDb(): Promise<SqlDb> {
  const db = await createPgliteDb({ migrate: false });
  open.push(db);
  return db;
}

/** A copy of the real migrations plus `extra` files, to change without touching the repository. */
async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'iris-migrations-'));
  dirs.push(dir);
  await cp(defaultMigrationsDir(), dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) await writeFile(join(dir, name), sql);
  return dir;
}

async function tableExists(db: SqlDb, name: string): Promise<boolean> {
  const [row] = await db.query<{ found: boolean }>('select to_regclass($1) is not null as found', [`public.${name}`]);
  return row!.found;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the migration manifest', () => {
  it('lists every migration file in the manifest, in order (add a new file to lib/db/manifest.ts too)', async () => {
    expect([...EXPECTED_MIGRATIONS]).toEqual((await readMigrations()).map((f) => f.name));
  });
});

describe('migrate', () => {
  it('applies every file in order, records name and checksum, and is a no-op the second time', async () => {
    const db = await bareDb();
    const files = await readMigrations();
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
    expect(files.length).toBeGreaterThanOrEqual(3);

    expect(await migrate(db)).toEqual(files.map((f) => ({ name: f.name, status: 'applied' })));
    const recorded = await db.query<{ name: string; checksum: string }>(
      'select name, checksum from public.iris_schema_migrations order by name',
    );
    expect(recorded).toEqual(files.map((f) => ({ name: f.name, checksum: f.checksum })));

    expect(await migrate(db)).toEqual(files.map((f) => ({ name: f.name, status: 'skipped' })));
  });

  it('runs each migration file twice in a row without error (the files are idempotent)', async () => {
    const db = await bareDb();
    for (const round of [1, 2]) {
      for (const file of await readMigrations()) {
        await expect(db.exec(file.sql), `${file.name}, round ${round}`).resolves.toBeUndefined();
      }
    }
    expect(await tableExists(db, 'model_runs')).toBe(true);
  });

  it('applies only a file added after the last run', async () => {
    const db = await bareDb();
    await migrate(db);
    const dir = await migrationsCopy({ '0900_extra.sql': 'create table if not exists public.extra (id int);' });
    const results = await migrate(db, { dir });
    expect(results.filter((r) => r.status === 'applied')).toEqual([{ name: '0900_extra.sql', status: 'applied' }]);
    expect(await tableExists(db, 'extra')).toBe(true);
  });

  it('rolls a failing file back entirely and does not record it', async () => {
    const db = await bareDb();
    const dir = await migrationsCopy({ '0900_broken.sql': 'create table public.half_done (id int);\nselect 1 / 0;' });
    await expect(migrate(db, { dir })).rejects.toMatchObject({ sqlState: '22012' });
    expect(await tableExists(db, 'half_done')).toBe(false);
    const names = await db.query<{ name: string }>('select name from public.iris_schema_migrations');
    expect(names.map((r) => r.name)).not.toContain('0900_broken.sql');
    // The files before it were applied and recorded.
    expect(names.map((r) => r.name)).toContain('0001_schema.sql');
  });

  it('refuses to continue when an applied file has changed', async () => {
    const db = await bareDb();
    const dir = await migrationsCopy({ '0900_extra.sql': 'select 1;' });
    await migrate(db, { dir });
    await writeFile(join(dir, '0900_extra.sql'), 'select 2;');
    const error = await migrate(db, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain('0900_extra.sql');
  });

  it('rejects a migration file that is not named <digits>_<name>.sql', async () => {
    const dir = await migrationsCopy({ 'Extra Stuff.sql': 'select 1;' });
    await expect(readMigrations(dir)).rejects.toBeInstanceOf(MigrationError);
  });
});
