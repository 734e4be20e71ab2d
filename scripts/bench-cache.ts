/**
 * `npm run bench:cache`: benchmarks of the read path through the two-tier
 * cache, against real HTTP servers on 127.0.0.1.
 *
 *   npm run bench:cache                       # full run (about 7 minutes on 2 cores)
 *   npm run bench:cache -- --quick            # shorter rounds, no PostgreSQL 15 (under 2 minutes)
 *   npm run bench:cache -- --json out.json    # also write everything measured as JSON
 *   npm run bench:cache -- --only hot,mix     # some scenarios: hot, prompts, cold, pg15, coalescing, memory, redis, mix, kv, tracing
 *   npm run bench:cache -- --no-fail          # exit 0 even when a target is missed
 *   options: --rounds N, --seconds S (per measured run), --connections N
 *
 * 1. overview from L1 vs a bare Hono handler sending the same bytes and headers: throughput ratio >= 0.70
 * 2. 304 revalidation vs the bare handler answering 304: ratio >= 0.80
 *    and GET /api/iris/budgets/check from memory vs the bare handler sending its bytes: ratio >= 0.80
 * 3. cold path (X-Iris-Cache-Bypass) on PGlite with 50,000 runs and PostgreSQL 15 with 1,000,000 runs
 * 4. 500 concurrent requests for one cold key: exactly 1 RPC (on PGlite, and on PostgreSQL 15)
 * 5. 1,000,000 distinct keys (200,000 with --quick) through L1: retained RSS growth (after gc) <= maxBytes + 64 MiB,
 *    and L1 bytes <= maxBytes
 * 6. Redis killed and restarted under load: no 5xx, no socket errors
 * 7. 15% ingest writes + 85% reads: read hit rate > 90%
 * 8. a healthy Redis under 40 connections: the KV circuit never opens
 * 9, 10. the prompt fetch by label and experiment assignment, from L1, vs the bare handler: ratio >= 0.80 (--only prompts)
 * 11. the overview from L1 with Iris's tracing unconfigured and on (OTLP export), vs the bare handler (--only tracing)
 *
 * Method. The machine is shared and noisy, so compared servers run side by
 * side in interleaved rounds (alternating which goes first) and the report
 * gives medians and ratios. Every server under test runs in its own child
 * process (`node --import tsx`, see scripts/bench-cache/child-process.ts), and
 * so does the REST bridge of scenario 6; autocannon runs in this process,
 * which does nothing else while it measures, so the load generator and a
 * server never share an event loop (on 2 cores: one for the server, one for
 * the load generator). The CPU time each server process spent is read from
 * /proc, so the report can say whether a server was saturated and what a
 * response cost it in CPU µs, a figure less sensitive to noise than req/s.
 * Exit code 1 when a target is missed (unless --no-fail) or a scenario fails.
 */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { runMetadata, writeOutput } from '../lib/loadgen/index.js';
import { startChild, type Child } from './bench-cache/child-process.js';
import type { IrisServerInfo, IrisServerOptions } from './bench-cache/iris-server.js';
import { runInterruptStops, type BenchSettings, type Check, type ScenarioReport } from './bench-cache/report.js';
import { coalescingScenario } from './bench-cache/scenarios/coalescing.js';
import { coldPathScenario, postgresScenarios } from './bench-cache/scenarios/cold-path.js';
import { hotPathScenarios } from './bench-cache/scenarios/hot-path.js';
import { promptPathScenarios } from './bench-cache/scenarios/prompt-path.js';
import { memoryScenario } from './bench-cache/scenarios/memory.js';
import { mixScenario } from './bench-cache/scenarios/mix.js';
import { kvLoadScenario } from './bench-cache/scenarios/kv-load.js';
import { redisOutageScenario } from './bench-cache/scenarios/redis-outage.js';
import { tracingScenario } from './bench-cache/scenarios/tracing.js';

const GROUPS = ['hot', 'prompts', 'cold', 'pg15', 'coalescing', 'memory', 'redis', 'mix', 'kv', 'tracing'] as const;
type Group = (typeof GROUPS)[number];

const USAGE = `usage: npm run bench:cache -- [--quick] [--json FILE] [--no-fail] [--only ${GROUPS.join(',')}] [--rounds N] [--seconds S] [--connections N]`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      'no-fail': { type: 'boolean', default: false },
      only: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
    },
  });
  const positiveInt = (name: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
    return n;
  };
  const only = new Set<Group>();
  for (const name of (values.only ?? GROUPS.join(',')).split(',').map((g) => g.trim()).filter(Boolean)) {
    if (!(GROUPS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario "${name}" (use ${GROUPS.join(', ')})`);
    only.add(name as Group);
  }
  const quick = values.quick;
  const settings: BenchSettings = {
    quick,
    rounds: positiveInt('rounds', values.rounds, quick ? 3 : 5),
    roundS: positiveInt('seconds', values.seconds, quick ? 2 : 5),
    warmupS: quick ? 1 : 2,
    connections: positiveInt('connections', values.connections, 10),
    coldConnections: 4,
    progress: (line) => console.log(`  · ${line}`),
  };
  return { settings, only, json: values.json, noFail: values['no-fail'] };
}

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions();
} catch (error) {
  console.error(`bench:cache: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { settings, only } = options;
const quick = settings.quick;
/** Demo size on the embedded database, as `npm run dev` seeds it. */
const EMBEDDED_RUNS = 50_000;
const PG_RUNS = 1_000_000;
/** Keys of the memory scenario with --quick (a million take about 100 s on 2 cores). */
const QUICK_MEMORY_KEYS = 200_000;

function commandLine(): string {
  const quoted = process.argv
    .slice(2)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return process.env.npm_lifecycle_event === 'bench:cache'
    ? `npm run bench:cache${quoted ? ` -- ${quoted}` : ''}`
    : `tsx scripts/bench-cache.ts${quoted ? ` ${quoted}` : ''}`;
}

const loadAverage = () => loadavg().map((l) => l.toFixed(2)).join(' ');

function printHeader(): void {
  const cpuList = cpus();
  console.log(`bench:cache: the read path through the two-tier cache`);
  console.log(`  command:      ${commandLine()}`);
  console.log(`  process:      ${[process.execPath, ...process.execArgv, ...process.argv.slice(1)].join(' ')}`);
  console.log(`  machine:      ${cpuList.length} cpus (${cpuList[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}`);
  console.log(`  node:         ${process.version}`);
  console.log(`  load average: ${loadAverage()} (1, 5, 15 min)`);
  console.log(
    `  settings:     ${settings.rounds} interleaved rounds x ${settings.roundS} s, warm-up ${settings.warmupS} s, ` +
      `${settings.connections} keep-alive connections (cold path ${settings.coldConnections})${quick ? ', --quick' : ''}`,
  );
  console.log('  method:       servers in child processes (node --import tsx), autocannon in this process; medians and ratios over rounds\n');
}

function printReport(report: ScenarioReport): void {
  console.log(`\n${report.title}\n`);
  console.log(report.table.replace(/^/gm, '  '));
  for (const note of report.notes) console.log(`  - ${note}`);
  for (const c of report.checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.value} (target ${c.target})`);
  console.log('');
}

async function main(): Promise<number> {
  printHeader();
  const started = performance.now();
  const reports: ScenarioReport[] = [];
  const failures: Check[] = [];
  const loads: Record<string, string> = {};

  /** Runs one scenario; a crash becomes a failed check and the others still run. */
  const scenario = async (id: string, body: () => Promise<ScenarioReport | ScenarioReport[]>) => {
    loads[id] = loadAverage();
    try {
      const result = await body();
      for (const report of Array.isArray(result) ? result : [result]) {
        reports.push(report);
        printReport(report);
      }
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      console.error(`\n${id}: FAILED\n${message}\n`);
      failures.push({ name: `${id}: the scenario ran to the end`, value: 'crashed', target: 'no error', pass: false });
    }
  };

  let embedded: Child<IrisServerInfo> | null = null;
  const needsEmbedded = (['hot', 'prompts', 'cold', 'coalescing', 'mix', 'tracing'] as const).some((g) => only.has(g));
  try {
    if (needsEmbedded) {
      settings.progress(`starting Iris (PGlite, ${EMBEDDED_RUNS.toLocaleString('en')} demo runs, in-memory KV) in a child process...`);
      const options: IrisServerOptions = { database: { kind: 'pglite' }, seedRuns: EMBEDDED_RUNS };
      embedded = await startChild<IrisServerInfo>('scripts/bench-cache/iris-server.ts', { label: 'iris (pglite)', args: [JSON.stringify(options)] });
      settings.progress(`Iris on ${embedded.info.url} (seeded in ${(embedded.info.seedMs / 1000).toFixed(1)} s)`);
    }
    const iris = embedded;
    if (iris && only.has('hot')) await scenario('hot', () => hotPathScenarios(iris, settings));
    if (iris && only.has('prompts')) await scenario('prompts', () => promptPathScenarios(iris, settings));
    if (iris && only.has('cold')) await scenario('cold', () => coldPathScenario(iris, settings, `PGlite, ${EMBEDDED_RUNS.toLocaleString('en')} runs`));
    if (iris && only.has('coalescing')) await scenario('coalescing', () => coalescingScenario(iris, settings, 'coalescing-pglite'));
    if (only.has('pg15')) {
      if (quick) console.log('\n3b. Cold path and coalescing on PostgreSQL 15: skipped (--quick)\n');
      else await scenario('pg15', () => postgresScenarios(settings, PG_RUNS));
    }
    if (only.has('memory')) await scenario('memory', () => memoryScenario(settings, quick ? QUICK_MEMORY_KEYS : 1_000_000));
    if (only.has('redis')) await scenario('redis', () => redisOutageScenario(settings));
    if (iris && only.has('mix')) await scenario('mix', () => mixScenario(iris, settings));
    if (iris && only.has('tracing')) await scenario('tracing', () => tracingScenario(iris, settings, EMBEDDED_RUNS));
    if (only.has('kv')) await scenario('kv', () => kvLoadScenario(settings));
  } finally {
    await embedded?.stop();
  }

  const checks = [...reports.flatMap((r) => r.checks), ...failures];
  const failed = checks.filter((c) => !c.pass);
  console.log(`Summary (${((performance.now() - started) / 1000).toFixed(0)} s, load average now ${loadAverage()}):`);
  for (const c of checks) console.log(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.name}: ${c.value} (target ${c.target})`);
  console.log(failed.length === 0 ? '\nAll targets met.' : `\n${failed.length} target(s) missed${options.noFail ? ' (--no-fail: exit code 0)' : ''}.`);

  if (options.json) {
    const meta = runMetadata({ tool: 'bench:cache', targetUrl: 'http://127.0.0.1 (child processes)', embedded: true, options: { ...settings, progress: undefined, only: [...only] } });
    const document = { ...meta, command: commandLine(), loadAverage: { start: loads, end: loadAverage() }, durationS: (performance.now() - started) / 1000, checks, scenarios: reports };
    console.log(`JSON written to ${writeOutput(options.json, JSON.stringify(document, null, 2) + '\n')}`);
  }
  return failed.length > 0 && !options.noFail ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // A clean stop of PostgreSQL first (a fast shutdown ends a running seed); then exit(), whose hooks (the
  // harness's) kill what is left by PID. Children exit when their channel closes. A second signal exits at once.
  process.once(signal, () => {
    process.once(signal, () => process.exit(130));
    console.error(`\n${signal}: stopping the servers...`);
    void runInterruptStops(20_000).finally(() => process.exit(130));
  });
}
const exitCode = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
// Keep-alive sockets and timers of finished scenarios must not hold the process open.
process.exit(exitCode);
