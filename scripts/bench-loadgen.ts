/**
 * `npm run bench:loadgen`: how far the load generator itself can be trusted.
 * Our engine and autocannon take turns against the same local server (a bare
 * node:http server answering a small JSON, in a worker thread so it has a core
 * of its own) with the same number of keep-alive connections; rounds
 * interleave the tools, alternating which goes first, so drift of a shared
 * machine hits both alike, and medians over rounds are compared:
 *
 * - `bare`: the server answers at once; the tool's own ceiling (throughput).
 * - `delay`: the server waits `BENCH_DELAY_MS` first; both tools should see it.
 *
 * Goal: our throughput >= 80% of autocannon's, p50 and p99 within 20%.
 * autocannon records latency in whole milliseconds, so a latency counts as
 * within the goal when it is within 20% or within 1 ms of autocannon's.
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_SECONDS per run (default 3),
 * BENCH_CONNECTIONS (default 10), BENCH_DELAY_MS (default 5). `--json <file>`
 * writes the rounds and medians.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import {
  createRequestSource,
  ms,
  num,
  RequestBuilder,
  Recorder,
  runClosed,
  seededRandom,
  table,
  writeOutput,
} from '../lib/loadgen/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 5);

// Plain JS: the worker evaluates it as is, without a TypeScript loader.
const SERVER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const body = JSON.stringify({ status: 'ok', service: 'iris-bench', items: [1, 2, 3] });
const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
const server = http.createServer((req, res) => {
  const delay = req.url.startsWith('/delay') ? ${DELAY_MS} : 0;
  const answer = () => { res.writeHead(200, headers); res.end(body); };
  if (delay > 0) setTimeout(answer, delay); else answer();
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
}

async function ours(url: string, path: string, seconds: number): Promise<Measurement> {
  const client = { baseUrl: url };
  const recorder = new Recorder();
  const next = createRequestSource([{ id: 'bench', endpoint: `GET ${path}`, method: 'GET', path, weight: 1 }], new RequestBuilder(client), seededRandom(1));
  await runClosed({ client, next, recorder, vus: CONNECTIONS, durationMs: seconds * 1000 });
  const o = recorder.summary().overall;
  if (o.failed > 0) throw new Error(`our run had ${o.failed} failures: ${JSON.stringify(o.errorReasons)}`);
  return { rps: o.requests / (recorder.summary().durationMs / 1000), p50: o.latencyMs?.p50 ?? NaN, p99: o.latencyMs?.p99 ?? NaN };
}

async function theirs(url: string, path: string, seconds: number): Promise<Measurement> {
  const result = await autocannon({ url: `${url}${path}`, connections: CONNECTIONS, duration: seconds });
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`autocannon had ${result.errors} errors and ${result.non2xx} non-2xx`);
  return { rps: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');

/** Within 20%, or within autocannon's 1 ms resolution. */
const close = (a: number, b: number) => Math.abs(a - b) <= Math.max(0.2 * b, 1);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' } } });
  const worker = new Worker(SERVER, { eval: true });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const url = `http://127.0.0.1:${port}`;
  console.log(`bench:loadgen: ${ROUNDS} interleaved rounds, ${SECONDS} s per run, ${CONNECTIONS} keep-alive connections, server in a worker thread (${url})`);
  // Warm both tools and the server up (JIT) before anything counts.
  await ours(url, '/', 1);
  await theirs(url, '/', 1);

  const scenarios = [
    { name: 'bare', path: '/' },
    { name: `delay ${DELAY_MS} ms`, path: '/delay' },
  ];
  const rounds: { scenario: string; round: number; iris: Measurement; autocannon: Measurement }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of scenarios) {
      let iris: Measurement;
      let ac: Measurement;
      if (round % 2 === 0) {
        iris = await ours(url, s.path, SECONDS);
        ac = await theirs(url, s.path, SECONDS);
      } else {
        ac = await theirs(url, s.path, SECONDS);
        iris = await ours(url, s.path, SECONDS);
      }
      rounds.push({ scenario: s.name, round, iris, autocannon: ac });
      console.log(`  round ${round + 1} ${s.name}: iris ${num(iris.rps)} req/s p50 ${ms(iris.p50)} p99 ${ms(iris.p99)} | autocannon ${num(ac.rps)} req/s p50 ${ms(ac.p50)} p99 ${ms(ac.p99)}`);
    }
  }
  await worker.terminate();

  const rows: string[][] = [];
  const medians: Record<string, { iris: Measurement; autocannon: Measurement; throughputRatio: number; goals: Record<string, boolean> }> = {};
  for (const s of scenarios) {
    const mine = rounds.filter((r) => r.scenario === s.name);
    const m = (tool: 'iris' | 'autocannon'): Measurement => ({
      rps: median(mine.map((r) => r[tool].rps)),
      p50: median(mine.map((r) => r[tool].p50)),
      p99: median(mine.map((r) => r[tool].p99)),
    });
    const iris = m('iris');
    const ac = m('autocannon');
    const throughputRatio = iris.rps / ac.rps;
    const goals = { 'throughput >= 80%': throughputRatio >= 0.8, 'p50 within 20%': close(iris.p50, ac.p50), 'p99 within 20%': close(iris.p99, ac.p99) };
    medians[s.name] = { iris, autocannon: ac, throughputRatio, goals };
    rows.push(
      [s.name, 'iris', num(iris.rps), ms(iris.p50), ms(iris.p99), ''],
      [s.name, 'autocannon', num(ac.rps), ms(ac.p50), ms(ac.p99), ''],
      [
        s.name,
        'iris ÷ autocannon',
        throughputRatio.toFixed(2),
        ratio(iris.p50, ac.p50),
        ratio(iris.p99, ac.p99),
        Object.entries(goals)
          .map(([goal, ok]) => `${goal}: ${ok ? 'yes' : 'NO'}`)
          .join(', '),
      ],
    );
  }
  console.log(`\nmedians over ${ROUNDS} rounds (autocannon latencies have 1 ms resolution)`);
  console.log(table(['scenario', 'tool', 'req/s', 'p50 ms', 'p99 ms', 'goals'], rows));
  if (values.json) console.log(`wrote ${writeOutput(values.json, `${JSON.stringify({ rounds, medians }, null, 2)}\n`)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
