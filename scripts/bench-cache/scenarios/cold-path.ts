/**
 * Scenario 3: the cold path. `X-Iris-Cache-Bypass: 1` (honoured by the local
 * server) skips L1 and L2, so every request computes from the database:
 * overview and stats/performance in interleaved rounds, on the embedded
 * PGlite and on a throwaway PostgreSQL 15 with a million runs.
 */
import { ms, num, table } from '../../../lib/loadgen/index.js';
import { startPostgres, type PostgresServer } from '../../../test/integration/harness/index.js';
import { startChild, type Child } from '../child-process.js';
import { coalescingScenario } from './coalescing.js';
import { expectStatus, header } from '../http.js';
import type { IrisServerInfo, IrisServerOptions } from '../iris-server.js';
import { interleavedRounds, medians, runLoad, statusTotals } from '../load.js';
import { check, stopOnInterrupt, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';

const ROUTES = { overview: '/api/iris/overview', 'stats/performance': '/api/iris/stats/performance' } as const;
type Route = keyof typeof ROUTES;

export async function coldPathScenario(iris: Child<IrisServerInfo>, s: BenchSettings, label: string, id = 'cold-pglite'): Promise<ScenarioReport> {
  const headers = { authorization: `Bearer ${iris.info.key}`, 'x-iris-cache-bypass': '1' };
  for (const path of Object.values(ROUTES)) {
    const first = await expectStatus(200, `${iris.info.url}${path}`, { headers });
    if (header(first.headers, 'x-cache') !== 'BYPASS') throw new Error(`${path}: expected X-Cache BYPASS, got ${header(first.headers, 'x-cache')}`);
  }
  const title = `3. Cold path (X-Iris-Cache-Bypass: every request computes from the database): ${label}`;
  s.progress(`${title}: ${s.rounds} rounds x ${s.roundS} s per route, alternating, ${s.coldConnections} connections`);
  const run = (route: Route, durationS: number) => runLoad({ url: `${iris.info.url}${ROUTES[route]}`, connections: s.coldConnections, durationS, headers });
  for (const route of Object.keys(ROUTES) as Route[]) await run(route, s.warmupS);
  const rounds = await interleavedRounds<Route>(Object.keys(ROUTES) as Route[], s.rounds, (route) => run(route, s.roundS), s.progress);
  const m = { overview: medians(rounds.overview), 'stats/performance': medians(rounds['stats/performance']) };
  const statuses = { overview: statusTotals(rounds.overview), 'stats/performance': statusTotals(rounds['stats/performance']) };
  const wrong = unexpectedStatuses(statuses.overview, 200) + unexpectedStatuses(statuses['stats/performance'], 200) + m.overview.errors + m['stats/performance'].errors;
  return {
    id,
    title,
    table: table(
      ['route (database)', 'req/s (median)', 'p50 ms', 'p99 ms', 'requests'],
      (Object.keys(ROUTES) as Route[]).map((r) => [`GET ${ROUTES[r]} (${iris.info.database})`, num(m[r].rps, 1), ms(m[r].p50Ms), ms(m[r].p99Ms), num(m[r].requests)]),
    ),
    notes: [
      `${s.coldConnections} concurrent connections, so latency includes queueing behind the database; statuses ${JSON.stringify(statuses)}`,
    ],
    checks: [check(`${id}: responses other than 200, or errors`, wrong, '==', 0)],
    data: { database: iris.info.database, medians: m, statuses, rounds },
  };
}

/**
 * Scenarios 3 and 4 on PostgreSQL 15: a throwaway server from the integration
 * harness, migrated and seeded by the Iris child. Nothing (after saying why)
 * when the PostgreSQL binaries are not installed.
 */
export async function postgresScenarios(s: BenchSettings, runs: number): Promise<ScenarioReport[]> {
  let pg: PostgresServer;
  try {
    pg = await startPostgres();
  } catch (error) {
    if (error instanceof Error && /binaries not found/.test(error.message)) {
      console.log(`\n3b. Cold path and coalescing on PostgreSQL 15: SKIPPED, ${error.message}\n`);
      return [];
    }
    throw error;
  }
  const unregister = stopOnInterrupt(() => pg.stop());
  let iris: Child<IrisServerInfo> | null = null;
  try {
    s.progress(`PostgreSQL on port ${pg.port}: migrating and seeding ${runs.toLocaleString('en')} runs in the Iris child...`);
    const options: IrisServerOptions = { database: { kind: 'postgres', url: pg.url }, seedRuns: runs };
    iris = await startChild<IrisServerInfo>('scripts/bench-cache/iris-server.ts', { label: 'iris (postgres)', args: [JSON.stringify(options)] });
    s.progress(`seeded in ${(iris.info.seedMs / 1000).toFixed(1)} s`);
    const cold = await coldPathScenario(iris, s, `${iris.info.database}, ${runs.toLocaleString('en')} runs`, 'cold-pg15');
    return [cold, await coalescingScenario(iris, s, 'coalescing-pg15')];
  } finally {
    await iris?.stop();
    await pg.stop();
    unregister();
  }
}
