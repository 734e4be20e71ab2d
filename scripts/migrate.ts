/**
 * `npm run db:migrate`: applies supabase/migrations/*.sql to DATABASE_URL,
 * skipping files already recorded in iris_schema_migrations, and prints what
 * it did. Exits 1 on failure (the failing file is rolled back).
 *
 *   DATABASE_URL=postgres://user:pass@host:5432/db npm run db:migrate
 *
 * PGlite (IRIS_DATA_DIR) migrates itself at start-up. On Supabase use the
 * direct connection string as DATABASE_URL, or `supabase db push`.
 */
import { migrate } from '../lib/db/migrations.js';
import { createPostgresDb } from '../lib/db/postgres.js';

/** host:port/database, without credentials, for the log line. */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('DATABASE_URL is not set; nothing to migrate. (PGlite applies the migrations itself when Iris starts.)');
    process.exitCode = 1;
    return;
  }
  // One connection, no prepared statements: works through transaction-mode poolers too.
  const db = createPostgresDb({ url, poolMax: 1, prepare: false, applicationName: 'iris-migrate' });
  console.log(`Migrating ${describeUrl(url)}`);
  try {
    const results = await migrate(db);
    for (const r of results) console.log(`  ${r.status === 'applied' ? 'applied        ' : 'already applied'}  ${r.name}`);
    const applied = results.filter((r) => r.status === 'applied').length;
    console.log(applied === 0 ? 'Up to date.' : `Applied ${applied} migration(s).`);
  } catch (error) {
    console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

await main();
