/**
 * `npm run db:backfill`: builds the hourly and daily rollups of runs stored
 * before migration 0004 (which builds them itself for up to a million runs),
 * one UTC day per call, so it never holds a project's rollup lock longer than
 * one day's rebuild and can be stopped and run again at any time. With
 * `--check` it then compares the rollups with the raw runs and exits 1 on any
 * difference.
 *
 *   DATABASE_URL=postgres://... npm run db:backfill
 *   npm run db:backfill -- --project <uuid> --days 30 --check
 *
 * Uses the database the environment names (DATABASE_URL, SUPABASE_URL, or
 * PGlite in IRIS_DATA_DIR), through the same RPCs as the API.
 */
import { parseArgs } from 'node:util';
import { backfillRollups } from '../lib/analytics/index.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { createDb } from '../lib/db/create.js';

const { values } = parseArgs({
  options: {
    project: { type: 'string' },
    days: { type: 'string' },
    check: { type: 'boolean', default: false },
  },
});

const DAY_MS = 86_400_000;
/** How far back a run's createdAt may be, relative to when it was ingested. */
const BACKFILL_WINDOW_MS = 400 * DAY_MS;

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (values.days !== undefined && !/^[1-9]\d{0,4}$/.test(values.days)) {
    console.error('--days must be a whole number of days (1 to 99999)');
    return 1;
  }
  const db = await createDb(config.db);
  try {
    const projects = (await db.rpc('list_projects', {})).filter((p) => !values.project || p.id === values.project);
    if (values.project && projects.length === 0) {
      console.error(`No project ${values.project}.`);
      return 1;
    }
    const toMs = Date.now() + DAY_MS;
    let mismatches = 0;
    for (const project of projects) {
      const fromMs = values.days ? toMs - (Number(values.days) + 1) * DAY_MS : Date.parse(project.created_at) - BACKFILL_WINDOW_MS;
      const started = performance.now();
      const result = await backfillRollups(db, { projectId: project.id, fromMs, toMs });
      console.log(
        `${project.id} ${JSON.stringify(project.name)}: ${result.runs.toLocaleString('en')} runs over ${result.days} days ` +
          `-> ${result.rollupRows.toLocaleString('en')} rollup rows in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      if (!values.check) continue;
      for (let at = fromMs; at < toMs; at += 400 * DAY_MS) {
        const rows = await db.rpc('check_run_rollups', {
          p_project_id: project.id,
          p_from: new Date(at).toISOString(),
          p_to: new Date(Math.min(at + 400 * DAY_MS, toMs)).toISOString(),
        });
        for (const row of rows.slice(0, 20)) console.error(`  differs: ${JSON.stringify(row)}`);
        mismatches += rows.length;
      }
    }
    if (values.check) console.log(mismatches === 0 ? 'Check: rollups equal raw runs.' : `Check: ${mismatches} field(s) differ.`);
    return mismatches === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

process.exitCode = await main();
