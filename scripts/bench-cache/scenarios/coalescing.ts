/**
 * Scenario 4: 500 concurrent requests (one socket each) for one cold key,
 * stats/tokens over a fixed window never requested before. The database must
 * see exactly one get_token_stats call: db_rpc_total{fn="get_token_stats"}
 * from /api/metrics before and after.
 */
import { counts, ms, num, table } from '../../../lib/loadgen/index.js';
import type { Child } from '../child-process.js';
import { header, prometheusText, sampleSum, send } from '../http.js';
import type { IrisServerInfo } from '../iris-server.js';
import { percentile } from '../load.js';
import { check, type BenchSettings, type ScenarioReport } from '../report.js';

const HOUR_MS = 3_600_000;

export async function coalescingScenario(iris: Child<IrisServerInfo>, s: BenchSettings, id: string, concurrency = 500): Promise<ScenarioReport> {
  const title = `4. Coalescing: ${concurrency} concurrent requests for one cold key (${iris.info.database})`;
  s.progress(title);
  // A window no one asked for: the key is cold in L1 and L2.
  const to = Date.now() - Math.floor(Math.random() * HOUR_MS);
  const from = to - 7 * 24 * HOUR_MS;
  const url = `${iris.info.url}/api/iris/stats/tokens?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
  const headers = { authorization: `Bearer ${iris.info.key}` };
  const rpcCalls = async () => sampleSum(await prometheusText(iris.info.url), 'db_rpc_total', { fn: 'get_token_stats' });

  const before = await rpcCalls();
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: concurrency }, () => send(url, { headers })));
  const wallMs = performance.now() - started;
  const rpcs = (await rpcCalls()) - before;

  const statuses: Record<string, number> = {};
  const xCache: Record<string, number> = {};
  for (const r of responses) {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const x = header(r.headers, 'x-cache') ?? '(none)';
    xCache[x] = (xCache[x] ?? 0) + 1;
  }
  const latencies = responses.map((r) => r.latencyMs).sort((a, b) => a - b);
  const ok = statuses['200'] ?? 0;
  return {
    id,
    title,
    table: table(
      ['requests', 'get_token_stats RPCs', '200s', 'X-Cache', 'p50 ms', 'p99 ms', 'all answered in ms'],
      [[num(concurrency), num(rpcs), num(ok), counts(xCache), ms(percentile(latencies, 0.5)), ms(percentile(latencies, 0.99)), ms(wallMs)]],
    ),
    notes: [`GET ${url.replace(iris.info.url, '')}; statuses ${JSON.stringify(statuses)}`],
    checks: [
      check(`${id}: get_token_stats RPCs for ${concurrency} concurrent cold requests`, rpcs, '==', 1),
      check(`${id}: responses other than 200`, concurrency - ok, '==', 0),
    ],
    data: { concurrency, rpcs, statuses, xCache, wallMs, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99) },
  };
}
