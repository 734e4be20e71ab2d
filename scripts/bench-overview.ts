/**
 * `npm run bench:overview`: how fast is get_project_overview on a project
 * with a million runs, and does it stay off sequential scans?
 *
 * Against DATABASE_URL when set (it migrates it and adds a seeded project,
 * so use a disposable database); otherwise it starts a throwaway
 * PostgreSQL 15 on a free port (as the postgres user when run as root) and
 * stops it at the end. Seeds the runs, calls the RPC after a warm-up, prints
 * median and p95, then EXPLAIN (ANALYZE, BUFFERS) of the function body.
 * Exits 1 when the plan has a Seq Scan on model_runs.
 *
 *   npm run bench:overview
 *   npm run bench:overview -- --runs 200000 --iterations 100
 */
import { parseArgs } from 'node:util';
import { migrate } from '../lib/db/migrations.js';
import { createPostgresDb } from '../lib/db/postgres.js';
import type { SqlDb } from '../lib/db/types.js';
import { seedDemo } from '../lib/seed/index.js';
import { startPostgres, type PostgresServer } from '../test/integration/harness/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    iterations: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '5' },
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * The plan that really runs. A LANGUAGE sql function body is planned with
 * its arguments as parameters, never as constants, so EXPLAIN of the
 * `select * from get_project_overview(...)` call would only show a Function
 * Scan: instead prepare the body itself and force the generic plan.
 */
async function explainOverview(url: string, projectId: string): Promise<string> {
  if (!UUID.test(projectId)) throw new Error(`unexpected project id ${projectId}`);
  const db = createPostgresDb({ url, poolMax: 1, applicationName: 'iris-bench-explain' }); // one session for PREPARE + EXECUTE
  try {
    const [fn] = await db.query<{ body: string }>(
      "select prosrc as body from pg_proc where proname = 'get_project_overview' and pronamespace = 'public'::regnamespace",
    );
    if (!fn) throw new Error('get_project_overview does not exist');
    await db.exec(`set plan_cache_mode = force_generic_plan; prepare iris_overview(uuid) as ${fn.body.replace(/\bp_project_id\b/g, '$1')}`);
    const rows = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) execute iris_overview('${projectId}')`);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await db.close();
  }
}

async function bench(url: string): Promise<number> {
  const runs = Number(values.runs);
  const iterations = Number(values.iterations);
  const warmup = Number(values.warmup);
  const db: SqlDb = createPostgresDb({ url, poolMax: 1, applicationName: 'iris-bench' });
  try {
    await migrate(db);
    const [version] = await db.query<{ v: string }>("select current_setting('server_version') as v");
    console.log(`PostgreSQL ${version?.v}`);

    let started = performance.now();
    const { projectId } = await seedDemo(db, { runs, projectName: 'Iris overview bench' });
    console.log(`Seeded ${runs.toLocaleString('en')} runs in ${((performance.now() - started) / 1000).toFixed(1)} s (project ${projectId})`);

    const call = () => db.rpc('get_project_overview', { p_project_id: projectId });
    for (let i = 0; i < warmup; i++) await call();
    const durations: number[] = [];
    let overview: Awaited<ReturnType<typeof call>>[number] | undefined;
    for (let i = 0; i < iterations; i++) {
      started = performance.now();
      [overview] = await call();
      durations.push(performance.now() - started);
    }
    durations.sort((a, b) => a - b);
    console.log(`\nget_project_overview over ${iterations} calls after ${warmup} warm-up (client round trip included):`);
    console.log(`  median ${percentile(durations, 0.5).toFixed(2)} ms   p95 ${percentile(durations, 0.95).toFixed(2)} ms   ` +
      `min ${durations[0]!.toFixed(2)} ms   max ${durations.at(-1)!.toFixed(2)} ms`);
    console.log(`  runs_24h ${overview?.runs_24h}, runs_today ${overview?.runs_today}, p95 latency ${overview?.p95_latency_ms_24h?.toFixed(1)} ms`);

    const plan = await explainOverview(url, projectId);
    console.log(`\nEXPLAIN (ANALYZE, BUFFERS), generic plan of the function body:\n${plan}\n`);
    if (/Seq Scan on model_runs/.test(plan)) {
      console.error('FAIL: the overview plan has a Seq Scan on model_runs.');
      return 1;
    }
    console.log(`OK: no Seq Scan on model_runs${/Index Only Scan using model_runs_project_created_idx/.test(plan) ? ' (index-only scan of the covering index)' : ''}.`);
    return 0;
  } finally {
    await db.close();
  }
}

async function main(): Promise<number> {
  let server: PostgresServer | undefined;
  const stop = () => server?.stop();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void Promise.resolve(stop()).finally(() => process.exit(130)));
  }
  try {
    let url = process.env.DATABASE_URL;
    if (!url) {
      console.log('DATABASE_URL is not set: starting a throwaway PostgreSQL...');
      server = await startPostgres();
      url = server.url;
    }
    return await bench(url);
  } finally {
    await stop();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
