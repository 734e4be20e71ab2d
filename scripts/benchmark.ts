/**
 * `npm run benchmark`: latency, throughput, errors and cache hit rate of the
 * standard read mix, checked against targets; exit code 1 when one fails, so
 * CI can gate preview deployments on it.
 *
 *   npm run benchmark                                  # starts a seeded local Iris, measures, stops it
 *   BENCHMARK_URL=https://... BENCHMARK_API_KEY=iris_sk_... npm run benchmark
 *   npm run benchmark -- --baseline                    # also with the cache bypassed: before/after table
 *   npm run benchmark -- --json out.json --prometheus out.prom --compare previous.json
 *
 * Environment: BENCHMARK_URL, BENCHMARK_API_KEY, VERCEL_AUTOMATION_BYPASS_SECRET
 * (protected previews), BENCHMARK_METRICS_TOKEN (GET /api/metrics),
 * BENCHMARK_ADMIN_TOKEN or IRIS_ADMIN_TOKEN (--baseline on a remote target),
 * BENCHMARK_P95_MS, BENCHMARK_P99_MS, BENCHMARK_MAX_ERROR_RATE, BENCHMARK_MIN_CACHE_HIT_RATE,
 * BENCHMARK_RATE (the rate phase's arrival rate). `--help` lists the flags.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  compareBenchmarks,
  DEFAULT_RATE_PER_S,
  DEFAULT_TARGETS,
  formatBenchmark,
  formatComparison,
  parseMixWeights,
  parseThresholds,
  PHASES,
  renderBenchmarkPrometheus,
  runBenchmark,
  measure,
  numberFlag,
  runScript,
  standardReadMix,
  UsageError,
  withWeights,
  writeOutput,
  type BenchmarkReport,
  type PhaseName,
} from '../lib/loadgen/index.js';

const HELP = `Usage: npm run benchmark -- [flags]

Target
  --url <url>               measure this deployment (default: BENCHMARK_URL; unset starts a local Iris)
  --local                   always start a local Iris on embedded defaults
  --runs <n>                runs seeded into the local Iris (default 50000)
Phases (durations in seconds)
  --phases <list>           sequential,concurrent,rate (default all)
  --warmup <s>              default 3
  --sequential <s>          default 8
  --concurrent <s>          default 12
  --concurrency <n>         connections of the concurrent phase (default 10)
  --rate <n|auto>           arrival rate of the rate phase, req/s (default ${DEFAULT_RATE_PER_S}, BENCHMARK_RATE);
                            auto: half the concurrent phase's throughput (see below)
  --rate-duration <s>       default 12
  --max-connections <n>     connections of the rate phase (default 64)
  --baseline                first run every phase with the cache bypassed, then print before/after
  --mix <id=w,...>          weights of overview,tokens,performance,experts,reports (default 1 each)
  --timeout <ms>            per request (default 10000)
Targets (exit code 1 when one fails)
  --p95 <ms>                default 150 (BENCHMARK_P95_MS)
  --p99 <ms>                default 200 (BENCHMARK_P99_MS)
  --max-error-rate <r>      default 0.01 (BENCHMARK_MAX_ERROR_RATE)
  --min-cache-hit-rate <r>  default 0.85 (BENCHMARK_MIN_CACHE_HIT_RATE)
  --threshold <expr>        extra k6-style threshold, repeatable: 'http_req_duration: p(90)<100'
Outputs
  --json <file>             results with run metadata, for trending
  --compare <old.json>      flag regressions against an earlier --json (exit code 1 on one)
  --regression-threshold <r> relative worsening flagged by --compare (default 0.2)
  --prometheus <file>       results in the Prometheus text format
  --quiet                   no live progress

The rate phase judges latency at a fixed arrival rate, ${DEFAULT_RATE_PER_S} req/s unless --rate or
BENCHMARK_RATE says otherwise, and the report prints the rate it used. A rate derived
from the concurrent phase's throughput (--rate auto) moves with whatever else the
machine did during that phase, so the same build could pass one run and fail the next;
a fixed rate makes a verdict comparable between runs and between deployments. The
default is a steady load one instance serves with room to spare: the closed phases
measure throughput, the rate phase latency at a known load.

How far to trust the verdict: the report gives the rate as a fraction of the
throughput the concurrent phase reached (a note when above half: near capacity,
latency moves with the machine), the latency check closest to its limit (a note when
a pass used more than half of it), and, per phase, what the machine did meanwhile
(load average, this process's event-loop delay), which a failed check is printed beside.
`;

const log = (line: string) => console.error(line);
const positiveInteger = (n: number) => Number.isInteger(n) && n > 0;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      local: { type: 'boolean', default: false },
      runs: { type: 'string' },
      phases: { type: 'string' },
      warmup: { type: 'string' },
      sequential: { type: 'string' },
      concurrent: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      'rate-duration': { type: 'string' },
      'max-connections': { type: 'string' },
      baseline: { type: 'boolean', default: false },
      mix: { type: 'string' },
      timeout: { type: 'string' },
      p95: { type: 'string' },
      p99: { type: 'string' },
      'max-error-rate': { type: 'string' },
      'min-cache-hit-rate': { type: 'string' },
      threshold: { type: 'string', multiple: true },
      json: { type: 'string' },
      compare: { type: 'string' },
      'regression-threshold': { type: 'string' },
      prometheus: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const env = process.env;
  const seconds = (name: string, value: string | undefined, fallback: number) => numberFlag(name, value, fallback, (n) => n >= 0) * 1000;
  const ratio = (n: number) => n >= 0 && n <= 1;
  const phases = (values.phases ?? PHASES.join(',')).split(',').map((p) => p.trim());
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new UsageError(`--phases: unknown phase "${p}"; known: ${PHASES.join(', ')}`);
  // Left undefined when neither says: the benchmark then uses its default and reports it as the default.
  const rateValue = values.rate ?? env.BENCHMARK_RATE;
  const rate = rateValue === undefined ? undefined : rateValue === 'auto' ? ('auto' as const) : numberFlag('rate', rateValue, DEFAULT_RATE_PER_S);
  const targets = {
    p95Ms: numberFlag('p95', values.p95 ?? env.BENCHMARK_P95_MS, DEFAULT_TARGETS.p95Ms),
    p99Ms: numberFlag('p99', values.p99 ?? env.BENCHMARK_P99_MS, DEFAULT_TARGETS.p99Ms),
    maxErrorRate: numberFlag('max-error-rate', values['max-error-rate'] ?? env.BENCHMARK_MAX_ERROR_RATE, DEFAULT_TARGETS.maxErrorRate, ratio),
    minCacheHitRate: numberFlag('min-cache-hit-rate', values['min-cache-hit-rate'] ?? env.BENCHMARK_MIN_CACHE_HIT_RATE, DEFAULT_TARGETS.minCacheHitRate, ratio),
  };
  const options = {
    warmupMs: seconds('warmup', values.warmup, 3),
    sequentialMs: seconds('sequential', values.sequential, 8),
    concurrentMs: seconds('concurrent', values.concurrent, 12),
    concurrency: numberFlag('concurrency', values.concurrency, 10, positiveInteger),
    rateMs: seconds('rate-duration', values['rate-duration'], 12),
    ratePerS: rate,
    rateMaxConnections: numberFlag('max-connections', values['max-connections'], 64, positiveInteger),
    timeoutMs: numberFlag('timeout', values.timeout, 10_000),
    baseline: values.baseline,
    phases: phases as PhaseName[],
    targets,
    thresholds: parseThresholds(values.threshold ?? []),
  };
  const mix = values.mix === undefined ? standardReadMix() : withWeights(standardReadMix(), parseMixWeights(values.mix));
  const old = values.compare === undefined ? null : (JSON.parse(readFileSync(values.compare, 'utf8')) as BenchmarkReport);
  const runs = numberFlag('runs', values.runs, 50_000, (n) => Number.isInteger(n) && n >= 0);

  const report: BenchmarkReport = await measure(
    {
      tool: 'iris-benchmark',
      env,
      url: values.url,
      local: values.local,
      runs,
      options: { ...options, thresholds: options.thresholds.map((t) => t.source), mix: mix.map((m) => `${m.id}=${m.weight}`) },
      quiet: values.quiet,
      log,
    },
    (context) => runBenchmark({ ...options, ...context, mix }),
  );

  console.log(formatBenchmark(report));
  let regressions = 0;
  if (old !== null) {
    const rows = compareBenchmarks(old, report, { maxRelativeChange: numberFlag('regression-threshold', values['regression-threshold'], 0.2) });
    regressions = rows.filter((r) => r.regression).length;
    console.log(`\n${formatComparison(rows, old.meta)}`);
    console.log(regressions === 0 ? 'no regressions' : `${regressions} regression(s) beyond the threshold`);
  }
  if (values.json) log(`wrote ${writeOutput(values.json, `${JSON.stringify(report, null, 2)}\n`)}`);
  if (values.prometheus) log(`wrote ${writeOutput(values.prometheus, renderBenchmarkPrometheus(report))}`);
  return report.result.pass && regressions === 0 ? 0 : 1;
}

runScript('benchmark', main);
