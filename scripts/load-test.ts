/**
 * `npm run load-test:<scenario>`: k6-style load tests over a realistic mix of
 * Iris's routes (dashboard reads, batches of 1-50 ingested runs, expert usage
 * counts), with thresholds (exit code 1 when one fails), live progress, and
 * JSON and self-contained HTML reports.
 *
 *   npm run load-test:smoke -- --scale 0.1              # 1 VU, 3 s, against a local seeded Iris
 *   npm run load-test:load -- --json load.json --html load.html
 *   npm run load-test:soak -- --duration 2h
 *   npm run load-test:breakpoint -- --max-rate 2000     # loopback only, unless --i-understand-autoscaling-cost
 *   BENCHMARK_URL=https://... BENCHMARK_API_KEY=iris_sk_... npm run load-test:load
 *
 * Scenarios: smoke, load, stress, spike, soak, breakpoint. `--help` lists the flags.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_LOAD_THRESHOLDS,
  formatLoadTest,
  loadTestHtml,
  loadTestMix,
  measure,
  numberFlag,
  parseDuration,
  parseMixWeights,
  parseThinkTime,
  parseThresholds,
  runLoadTest,
  runScript,
  scaleScenario,
  scenario,
  SCENARIO_NAMES,
  UsageError,
  withWeights,
  writeOutput,
  type LoadTestReport,
  type ScenarioName,
} from '../lib/loadgen/index.js';

const HELP = `Usage: npm run load-test:<${SCENARIO_NAMES.join('|')}> -- [flags]
       tsx scripts/load-test.ts <scenario> [flags]

  --scale <f>               multiply every stage's duration (0.1: a tenth as long)
  --duration <d>            length of the soak (default 30m; 90s, 2h, 1h30m)
  --max-rate <n>            highest rate of the breakpoint ramp, req/s (default 1000)
  --url <url>               target (default: BENCHMARK_URL; unset starts a local Iris)
  --local                   always start a local Iris on embedded defaults
  --runs <n>                runs seeded into the local Iris (default 50000)
  --threshold <expr>        k6-style threshold, repeatable; replaces the defaults:
                            ${DEFAULT_LOAD_THRESHOLDS.join('  |  ')}
  --think-time <ms|a-b>     pause between a VU's requests (default 500-1500; 0 for none)
  --mix <id=w,...>          weights of ${loadTestMix().map((t) => `${t.id}=${t.weight}`).join(',')}
  --max-requests <n>        stop after this many requests (default 5000000)
  --timeout <ms>            per request (default 10000)
  --seed <n>                seed of the request mix (default 1)
  --json <file>             results with run metadata
  --html <file>             self-contained HTML report with charts
  --i-understand-autoscaling-cost   allow the breakpoint ramp against a non-loopback target
  --quiet                   no live progress
`;

const log = (line: string) => console.error(line);

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      scale: { type: 'string' },
      duration: { type: 'string' },
      'max-rate': { type: 'string' },
      url: { type: 'string' },
      local: { type: 'boolean', default: false },
      runs: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      'think-time': { type: 'string' },
      mix: { type: 'string' },
      'max-requests': { type: 'string' },
      timeout: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      'i-understand-autoscaling-cost': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const name = positionals[0];
  if (name === undefined || !(SCENARIO_NAMES as readonly string[]).includes(name) || positionals.length > 1) {
    throw new UsageError(`name one scenario: ${SCENARIO_NAMES.join(', ')} (got ${positionals.join(' ') || 'none'})`);
  }
  const scale = numberFlag('scale', values.scale, 1);
  const base = scenario(name as ScenarioName, {
    soakDurationMs: values.duration === undefined ? undefined : parseDuration('duration', values.duration),
    breakpointMaxRate: numberFlag('max-rate', values['max-rate'], 1000),
  });
  const sc = scale === 1 ? base : scaleScenario(base, scale);
  const thresholds = parseThresholds(values.threshold ?? DEFAULT_LOAD_THRESHOLDS);
  const mix = values.mix === undefined ? loadTestMix() : withWeights(loadTestMix(), parseMixWeights(values.mix));
  const thinkTimeMs = values['think-time'] === undefined ? undefined : parseThinkTime(values['think-time']);
  const options = {
    thinkTimeMs,
    maxRequests: numberFlag('max-requests', values['max-requests'], 5_000_000, (n) => Number.isInteger(n) && n > 0),
    timeoutMs: numberFlag('timeout', values.timeout, 10_000),
    seed: numberFlag('seed', values.seed, 1, Number.isInteger),
  };
  const runs = numberFlag('runs', values.runs, 50_000, (n) => Number.isInteger(n) && n >= 0);

  const report: LoadTestReport = await measure(
    {
      tool: 'iris-load-test',
      env: process.env,
      url: values.url,
      local: values.local,
      runs,
      options: { scenario: sc, scale, ...options, thresholds: thresholds.map((t) => t.source), mix: mix.map((m) => `${m.id}=${m.weight}`) },
      quiet: values.quiet,
      log,
    },
    (context) => runLoadTest({ ...options, ...context, scenario: sc, mix, thresholds, allowRemoteBreakpoint: values['i-understand-autoscaling-cost'] }),
  );
  console.log(formatLoadTest(report));
  if (values.json) log(`wrote ${writeOutput(values.json, `${JSON.stringify(report, null, 2)}\n`)}`);
  if (values.html) log(`wrote ${writeOutput(values.html, loadTestHtml(report))}`);
  return report.result.pass ? 0 : 1;
}

runScript('load-test', main);
