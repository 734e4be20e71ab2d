/**
 * `npm run bench:analytics`: what the rollups buy, measured side by side.
 *
 * 1. Reads. Seeds a project with 10,000,000 runs over 90 days (seedDemo, which
 *    also builds its rollups) and, for windows of the last 1, 7, 30 and 90
 *    days (in whole hours, as the API asks), calls get_token_stats,
 *    get_performance_stats, a day-interval p95 time series and a breakdown by
 *    agent, each beside the same RPC with ends to the millisecond (partial
 *    hours from raw runs) and the same answer computed from raw rows
 *    (scripts/bench-analytics/raw-queries.ts), in alternating order; then the
 *    overview. Every call is a fresh RPC: no Iris
 *    cache, PostgreSQL's buffer cache warm after one warm-up call per query.
 *    Prints medians and checks that both sides agree (counts and sums equal,
 *    percentiles within 1%). Targets: every rollup read under 50 ms, the
 *    overview under 20 ms.
 * 2. Ingest. Two Iris servers (child processes) on two fresh databases of one
 *    PostgreSQL 15, one migrated without the rollups (0001-0003, ingest as it
 *    was) and one with them; 8 connections post 1,000-run batches to each in
 *    alternating rounds; and to the second, batches without a cost, which Iris
 *    prices from the price table. Targets: with rollups at least 80% of the
 *    runs/s without; with cost computation at least 90% of without it.
 *
 * Against DATABASE_URL when set (a disposable server: it creates databases),
 * else a throwaway PostgreSQL 15 it starts and stops. Exits 1 when a target
 * is missed or the two sides disagree.
 *
 *   npm run bench:analytics
 *   npm run bench:analytics -- --runs 1000000 --iterations 5 --ingest-rounds 3 --round-s 10
 *   npm run bench:analytics -- --skip-reads      # only the ingest comparison
 *   DATABASE_URL=... npm run bench:analytics -- --project <id>   # reads on a project seeded before (no seeding)
 *   npm run bench:analytics -- --design --skip-reads --skip-ingest   # the layout measurements (bench-analytics/design.ts)
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { defaultMigrationsDir, migrate, readMigrations } from '../lib/db/migrations.js';
import { statsWindow } from '../lib/analytics/index.js';
import { createPostgresDb } from '../lib/db/postgres.js';
import type { SqlDb } from '../lib/db/types.js';
import { ms, num, randomRun, seededRandom, table } from '../lib/loadgen/index.js';
import { seedDemo } from '../lib/seed/index.js';
import { startPostgres, type PostgresServer } from '../test/integration/harness/index.js';
import { RAW_QUERIES, type RawQuery } from './bench-analytics/raw-queries.js';
import { designBenchmark } from './bench-analytics/design.js';
import type { IngestServerInfo, IngestServerOptions } from './bench-analytics/ingest-server.js';
import { startChild } from './bench-cache/child-process.js';
import { interleavedRounds, median, medians, runLoad, statusTotals } from './bench-cache/load.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000000' },
    days: { type: 'string', default: '90' },
    iterations: { type: 'string', default: '5' },
    'raw-iterations': { type: 'string', default: '3' },
    'ingest-rounds': { type: 'string', default: '5' },
    'round-s': { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    'skip-reads': { type: 'boolean', default: false },
    'skip-ingest': { type: 'boolean', default: false },
    design: { type: 'boolean', default: false },
    project: { type: 'string' },
  },
});

const DAY_MS = 86_400_000;
const WINDOWS_DAYS = [1, 7, 30, 90];
const READ_TARGET_MS = 50;
const OVERVIEW_TARGET_MS = 20;
const INGEST_TARGET_RATIO = 0.8;
const COST_TARGET_RATIO = 0.9;
const progress = (line: string) => console.log(line);

function databaseUrl(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Times one call; returns its rows too, for the agreement check. */
async function timed<T>(call: () => Promise<T>): Promise<{ ms: number; rows: T }> {
  const started = performance.now();
  const rows = await call();
  return { ms: performance.now() - started, rows };
}

type Row = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** Counts and sums must be equal; percentiles within 1% (plus rounding) of the exact nearest-rank value. */
function disagreements(label: string, rollup: Row[], raw: Row[], key: string): string[] {
  const problems: string[] = [];
  const byKey = new Map(raw.map((r) => [String(r[key] ?? ''), r]));
  if (rollup.length !== raw.length) problems.push(`${label}: ${rollup.length} rows from rollups, ${raw.length} from raw runs`);
  for (const row of rollup) {
    const other = byKey.get(String(row[key] ?? ''));
    if (!other) {
      problems.push(`${label}: ${key}=${String(row[key])} only in the rollup answer`);
      continue;
    }
    for (const field of ['runs', 'input_tokens', 'output_tokens']) {
      if (field in other && n(row[field]) !== n(other[field])) problems.push(`${label} ${String(row[key])} ${field}: ${String(row[field])} vs ${String(other[field])}`);
    }
    if ('cost_usd' in other && Math.round(n(row.cost_usd)! * 1e6) !== Math.round(n(other.cost_usd)! * 1e6)) {
      problems.push(`${label} ${String(row[key])} cost_usd: ${String(row.cost_usd)} vs ${String(other.cost_usd)}`);
    }
    for (const field of ['p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms', 'value']) {
      if (!(field in other) || other[field] === null) continue;
      const exact = n(other[field])!;
      const estimate = n(row[field])!;
      if (exact >= 0.001 && Math.abs(estimate - exact) / exact > 0.01) problems.push(`${label} ${String(row[key])} ${field}: ${estimate} vs exact ${exact}`);
    }
  }
  return problems;
}

async function readsBenchmark(url: string): Promise<{ ok: boolean; lines: string[] }> {
  const runs = Number(values.runs);
  const days = Number(values.days);
  const iterations = Number(values.iterations);
  const rawIterations = Number(values['raw-iterations']);
  const db: SqlDb = createPostgresDb({ url, poolMax: 1, applicationName: 'iris-bench-analytics' });
  try {
    await migrate(db);
    const [version] = await db.query<{ v: string }>("select current_setting('server_version') as v");
    let projectId: string;
    let seeded: string;
    if (values.project) {
      projectId = values.project;
      const [count] = await db.query<{ n: string }>('select count(*) as n from public.model_runs where project_id = $1', [projectId]);
      seeded = `project ${projectId} as found: ${Number(count?.n ?? 0).toLocaleString('en')} runs`;
    } else {
      progress(`PostgreSQL ${version?.v}: seeding ${runs.toLocaleString('en')} runs over ${days} days and building their rollups...`);
      const started = performance.now();
      ({ projectId } = await seedDemo(db, { runs, days, projectName: 'bench:analytics' }));
      seeded = `seeded in ${((performance.now() - started) / 1000).toFixed(0)} s`;
    }
    const [sizes] = await db.query<{ rollups: number; raw: string; rollup_size: string }>(
      `select (select count(*) from public.run_rollups where project_id = $1)::int as rollups,
              pg_size_pretty(pg_total_relation_size('public.model_runs')) as raw,
              pg_size_pretty(pg_total_relation_size('public.run_rollups')) as rollup_size`,
      [projectId],
    );
    progress(`${seeded}: ${sizes?.rollups.toLocaleString('en')} rollup rows (${sizes?.rollup_size} for the whole table) for model_runs of ${sizes?.raw}`);

    const raw = (query: RawQuery, from: string, to: string) => db.query<Row>(RAW_QUERIES[query], [projectId, from, to]);
    const now = Date.now();
    const iso = (msValue: number) => new Date(msValue).toISOString();
    // The windows the API reads (lib/analytics/window.ts): whole hours, or whole days for the day series.
    const apiWindow = (days: number, interval: 'hour' | 'day') => {
      const w = statsWindow({ from: iso(now - days * DAY_MS), to: iso(now) }, now, interval);
      return { from: iso(w.fromMs), to: iso(w.toMs) };
    };
    type Window = { from: string; to: string };
    const rollupCall = {
      tokens: (w: Window) => db.rpc('get_token_stats', { p_project_id: projectId, p_from: w.from, p_to: w.to }),
      performance: (w: Window) => db.rpc('get_performance_stats', { p_project_id: projectId, p_from: w.from, p_to: w.to }),
      timeseries: (w: Window) =>
        db.rpc('get_stats_timeseries', { p_project_id: projectId, p_metric: 'p95_latency_ms', p_interval: 'day', p_from: w.from, p_to: w.to, p_group_by: 'none', p_top: 0 }),
      breakdown: (w: Window) =>
        db.rpc('get_stats_breakdown', { p_project_id: projectId, p_by: 'agent', p_from: w.from, p_to: w.to, p_sort: 'runs', p_descending: true, p_limit: 1000 }),
    } as const;
    const keyOf: Record<keyof typeof rollupCall, string> = { tokens: 'model', performance: 'model', timeseries: 'bucket_start', breakdown: 'value' };

    const rows: string[][] = [];
    const problems: string[] = [];
    let ok = true;
    for (const windowDays of WINDOWS_DAYS) {
      for (const query of Object.keys(rollupCall) as (keyof typeof rollupCall)[]) {
        const api = apiWindow(windowDays, query === 'timeseries' ? 'day' : 'hour');
        // The same RPC with the window's ends as given, down to the millisecond: raw edges.
        const exact = { from: iso(now - windowDays * DAY_MS), to: iso(now) };
        const rollup = () => rollupCall[query](api) as unknown as Promise<Row[]>;
        const rollupExact = () => rollupCall[query](exact) as unknown as Promise<Row[]>;
        const reference = () => raw(query, api.from, api.to);
        // One warm-up each, then alternate.
        const firstRollup = await timed(rollup);
        await timed(rollupExact);
        const firstRaw = await timed(reference);
        const normalise = (r: Row[]) =>
          query === 'timeseries' ? r.map((x): Row => ({ ...x, bucket_start: new Date(x.bucket_start as string | Date).toISOString() })).filter((x) => n(x.runs)! > 0) : r;
        problems.push(...disagreements(`${query} ${windowDays}d`, normalise(firstRollup.rows), normalise(firstRaw.rows), keyOf[query]));
        const rollupMs: number[] = [];
        const exactMs: number[] = [];
        const rawMs: number[] = [];
        for (let i = 0; i < Math.max(iterations, rawIterations); i++) {
          if (i < iterations) rollupMs.push((await timed(rollup)).ms);
          if (i < iterations && query !== 'timeseries') exactMs.push((await timed(rollupExact)).ms);
          if (i < rawIterations) rawMs.push((await timed(reference)).ms);
        }
        const m = median(rollupMs);
        const hit = m < READ_TARGET_MS;
        ok &&= hit;
        const exactCell = query === 'timeseries' ? '(days)' : ms(median(exactMs));
        rows.push([`${windowDays} d`, query, ms(m), exactCell, ms(median(rawMs)), `×${num(median(rawMs) / m, 0)}`, hit ? 'yes' : 'MISSED']);
        progress(`  ${windowDays} d ${query}: rollups ${ms(m)}, exact window ${exactCell}, raw ${ms(median(rawMs))}`);
      }
    }
    const overviewRollup: number[] = [];
    const overviewRaw: number[] = [];
    await timed(() => db.rpc('get_project_overview', { p_project_id: projectId }));
    const to = iso(now);
    await timed(() => raw('overview', to, to));
    for (let i = 0; i < Math.max(iterations, rawIterations) * 2; i++) {
      overviewRollup.push((await timed(() => db.rpc('get_project_overview', { p_project_id: projectId }))).ms);
      if (i < rawIterations * 2) overviewRaw.push((await timed(() => raw('overview', to, to))).ms);
    }
    const overviewMs = median(overviewRollup);
    ok &&= overviewMs < OVERVIEW_TARGET_MS;
    rows.push(['24 h', 'overview', ms(overviewMs), '', ms(median(overviewRaw)), `×${num(median(overviewRaw) / overviewMs, 0)}`, overviewMs < OVERVIEW_TARGET_MS ? 'yes' : 'MISSED']);

    const lines = [
      `Reads on PostgreSQL ${version?.v.split(' ')[0]} (${seeded}); the last N days as the API asks for them (whole UTC hours to the end`,
      `of the current one; days for the day series), beside the same RPC with ends to the millisecond (partial hours read from raw runs)`,
      `and the answer computed from raw runs; medians of ${iterations} calls (raw: ${rawIterations}; overview: twice as many), ms;`,
      `targets: rollups < ${READ_TARGET_MS} ms, overview < ${OVERVIEW_TARGET_MS} ms`,
      table(['window', 'query', 'rollups', 'exact ends', 'raw runs', 'speed-up', 'target met'], rows),
      problems.length === 0
        ? 'Agreement: every count, token and cost sum equal; every percentile within 1% of the exact nearest-rank value.'
        : `DISAGREEMENT (${problems.length}):\n  ${problems.slice(0, 30).join('\n  ')}`,
    ];
    return { ok: ok && problems.length === 0, lines };
  } finally {
    await db.close();
  }
}

/**
 * A pool of request bodies: 1,000 runs each, created in the last hour, as
 * agents send them; with their own cost, or (`withCost` false) without one, so
 * Iris computes it from the price table.
 */
function batches(count: number, withCost: boolean): string[] {
  const random = seededRandom(42);
  const now = Date.now();
  return Array.from({ length: count }, () =>
    JSON.stringify({
      runs: Array.from({ length: 1000 }, () => {
        const run: Record<string, unknown> = { ...randomRun(random), createdAt: new Date(now - random() * 3_600_000).toISOString() };
        if (!withCost) delete run.costUsd;
        return run;
      }),
    }),
  );
}

const INGEST_VARIANTS = {
  before: 'without rollups (0001-0003), cost sent',
  after: 'with rollups (all migrations), cost sent',
  computed: 'with rollups, cost computed by Iris',
} as const;
type IngestVariant = keyof typeof INGEST_VARIANTS;

async function ingestBenchmark(baseUrl: string): Promise<{ ok: boolean; lines: string[] }> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => undefined });
  const suffix = `${Date.now()}`;
  const dbNames = { before: `iris_bench_before_${suffix}`, after: `iris_bench_after_${suffix}` };
  const before = mkdtempSync(join(tmpdir(), 'iris-migrations-'));
  const children: { stop(): Promise<void> }[] = [];
  try {
    for (const file of await readMigrations()) if (file.name < '0004') cpSync(join(defaultMigrationsDir(), file.name), join(before, file.name));
    for (const name of Object.values(dbNames)) await admin.unsafe(`create database ${name}`);
    const start = (variant: 'before' | 'after') =>
      startChild<IngestServerInfo>('scripts/bench-analytics/ingest-server.ts', {
        label: `iris (${variant})`,
        args: [JSON.stringify({ databaseUrl: databaseUrl(baseUrl, dbNames[variant]), migrationsDir: variant === 'before' ? before : defaultMigrationsDir() } satisfies IngestServerOptions)],
      });
    const servers = { before: await start('before'), after: await start('after') };
    children.push(servers.before, servers.after);
    const bodies = { before: batches(16, true), after: batches(16, true), computed: batches(16, false) };
    const serverOf = (variant: IngestVariant) => (variant === 'before' ? servers.before : servers.after);
    const connections = Number(values.connections);
    const roundS = Number(values['round-s']);
    const run = (variant: IngestVariant, durationS: number) =>
      runLoad({
        url: `${serverOf(variant).info.url}/api/iris/runs`,
        connections,
        durationS,
        headers: { authorization: `Bearer ${serverOf(variant).info.key}`, 'content-type': 'application/json' },
        requests: bodies[variant].map((body) => ({ method: 'POST', path: '/api/iris/runs', body })),
        serverPid: serverOf(variant).pid,
      });
    const variants = Object.keys(INGEST_VARIANTS) as IngestVariant[];
    progress(`Ingest: 1,000-run batches, ${connections} connections, ${values['ingest-rounds']} alternating rounds of ${roundS} s per variant`);
    for (const variant of variants) await run(variant, 3);
    const rounds = await interleavedRounds(variants, Number(values['ingest-rounds']), (variant) => run(variant, roundS), progress);
    const m = Object.fromEntries(variants.map((v) => [v, medians(rounds[v])])) as Record<IngestVariant, ReturnType<typeof medians>>;
    const statuses = Object.fromEntries(variants.map((v) => [v, statusTotals(rounds[v])]));
    const rollupRatio = m.after.rps / m.before.rps;
    const costRatio = m.computed.rps / m.after.rps;
    const wrong = Object.values(statuses).reduce((sum, s) => sum + Object.entries(s).filter(([code]) => code !== '201').reduce((a, [, c]) => a + c, 0), 0);
    const lines = [
      `Ingest through the API (POST /api/iris/runs, 1,000 runs per request, ${connections} connections, PostgreSQL; medians of the rounds)`,
      table(
        ['variant', 'runs/s', 'p50 ms', 'p99 ms', 'requests'],
        variants.map((v) => [INGEST_VARIANTS[v], num(m[v].rps * 1000), ms(m[v].p50Ms), ms(m[v].p99Ms), num(m[v].requests)]),
      ),
      `with rollups / without: ${(rollupRatio * 100).toFixed(0)}% (target >= ${INGEST_TARGET_RATIO * 100}%); ` +
        `cost computed / cost sent: ${(costRatio * 100).toFixed(0)}% (target >= ${COST_TARGET_RATIO * 100}%); statuses ${JSON.stringify(statuses)}`,
    ];
    return { ok: rollupRatio >= INGEST_TARGET_RATIO && costRatio >= COST_TARGET_RATIO && wrong === 0, lines };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    for (const name of Object.values(dbNames)) await admin.unsafe(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
    rmSync(before, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  let server: PostgresServer | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void Promise.resolve(server?.stop()).finally(() => process.exit(130)));
  try {
    let url = process.env.DATABASE_URL;
    if (!url) {
      progress('DATABASE_URL is not set: starting a throwaway PostgreSQL 15...');
      server = await startPostgres({ settings: { shared_buffers: '512MB', work_mem: '16MB' } });
      url = server.url;
    }
    const results = [];
    if (values.design) {
      const db = createPostgresDb({ url, poolMax: 1, applicationName: 'iris-bench-analytics' });
      try {
        await migrate(db);
        const { rows } = await designBenchmark(db, Number(values.iterations) * 4);
        results.push({ ok: true, lines: [`Layout measurements (bench-analytics/design.ts), medians of ${Number(values.iterations) * 4} calls`, table(['case', 'ms'], rows)] });
      } finally {
        await db.close();
      }
    }
    if (!values['skip-reads']) results.push(await readsBenchmark(url));
    if (!values['skip-ingest']) results.push(await ingestBenchmark(url));
    console.log('');
    for (const r of results) console.log(`${r.lines.join('\n')}\n`);
    const ok = results.every((r) => r.ok);
    console.log(ok ? 'RESULT: PASS' : 'RESULT: FAIL');
    return ok ? 0 : 1;
  } finally {
    await server?.stop();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
