/**
 * `npm run db:seed`: creates a demo project with a synthetic history (see
 * lib/seed) in DATABASE_URL, or else in the PGlite data directory
 * IRIS_DATA_DIR, and prints its id.
 *
 *   DATABASE_URL=postgres://... npm run db:seed -- --runs 1000000
 *   IRIS_DATA_DIR=.data/pglite npm run db:seed -- --runs 50000 --days 14 --seed 7
 *
 * PostgreSQL must be migrated first (npm run db:migrate); PGlite migrates itself.
 */
import { parseArgs } from 'node:util';
import { createPgliteDb } from '../lib/db/pglite.js';
import { createPostgresDb } from '../lib/db/postgres.js';
import type { SqlDb } from '../lib/db/types.js';
import { DEMO_PROJECT_NAME, seedDemo } from '../lib/seed/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50000' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
    name: { type: 'string', default: DEMO_PROJECT_NAME },
  },
});

async function open(): Promise<{ db: SqlDb; where: string } | null> {
  const url = process.env.DATABASE_URL;
  if (url) return { db: createPostgresDb({ url, poolMax: 1, applicationName: 'iris-seed' }), where: 'DATABASE_URL' };
  const dataDir = process.env.IRIS_DATA_DIR;
  if (dataDir) return { db: await createPgliteDb({ dataDir }), where: `PGlite at ${dataDir}` };
  return null;
}

async function main(): Promise<void> {
  const target = await open();
  if (!target) {
    console.error('Set DATABASE_URL (PostgreSQL) or IRIS_DATA_DIR (PGlite directory) to say where to seed.');
    process.exitCode = 1;
    return;
  }
  const { db, where } = target;
  try {
    const [schema] = await db.query<{ ready: boolean }>("select to_regclass('public.model_runs') is not null as ready");
    if (!schema?.ready) throw new Error('the Iris tables are missing; run `npm run db:migrate` first');
    const runs = Number(values.runs.replace(/_/g, ''));
    console.log(`Seeding "${values.name}" with ${runs.toLocaleString('en')} runs into ${where}...`);
    const started = performance.now();
    const result = await seedDemo(db, { runs, days: Number(values.days), seed: Number(values.seed), projectName: values.name });
    console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    console.log(`Project id: ${result.projectId}`);
  } catch (error) {
    console.error(`Seeding failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

await main();
