/**
 * Scenarios 1 to 3: GET /api/iris/overview answered from L1 (200, and 304 to
 * a revalidation with the current ETag), and GET /api/iris/budgets/check
 * answered from the budgets in memory, each against a bare Hono handler
 * sending the same bytes with the same headers (captured from Iris), in
 * interleaved rounds. The ratio is the median over rounds of Iris's
 * throughput over the bare handler's in the same round.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { pct, table } from '../../../lib/loadgen/index.js';
import type { BareResponses } from '../bare-server.js';
import { startChild, type Child } from '../child-process.js';
import { expectStatus, header, prometheusText, sampleSum } from '../http.js';
import type { IrisServerInfo } from '../iris-server.js';
import { interleavedRounds, median, medianRow, medians, runLoad, statusTotals, type LoadResult } from '../load.js';
import { check, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';

/** Headers Node's HTTP server adds by itself, to either server alike. */
const TRANSPORT = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export function replayable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!TRANSPORT.has(name) && value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

const OVERVIEW = '/api/iris/overview';
/** The demo seed's agent-01 has a hard daily cap and the project a month budget: the check weighs both. */
const BUDGET_CHECK = '/api/iris/budgets/check?agentId=agent-01&model=gpt-4o-mini';

const MODES = [
  { id: 'hit-l1', path: OVERVIEW, status: 200, target: 0.7, title: '1. GET /api/iris/overview from L1 (200) vs bare Hono' },
  { id: 'revalidate-304', path: OVERVIEW, status: 304, target: 0.8, title: '2. Revalidation (If-None-Match, 304) vs bare Hono 304' },
  { id: 'budget-check', path: BUDGET_CHECK, status: 200, target: 0.8, title: '3. GET /api/iris/budgets/check from memory (200) vs bare Hono' },
] as const;

type Variant = 'iris' | 'bare';

/**
 * Makes the cached overview fresh (a client `no-cache` request recomputes and
 * stores it), so a round of a few seconds never crosses its TTL (30 s) and
 * every response of the round is HIT-L1 with this ETag.
 */
async function freshOverview(url: string, auth: Record<string, string>): Promise<{ etag: string; body: string; headers: IncomingHttpHeaders }> {
  if (url.includes('/budgets/check')) return freshCheck(url, auth);
  await expectStatus(200, url, { headers: { ...auth, 'cache-control': 'no-cache' } });
  const hit = await expectStatus(200, url, { headers: auth });
  if (header(hit.headers, 'x-cache') !== 'HIT-L1') throw new Error(`expected X-Cache HIT-L1 after a refresh, got ${header(hit.headers, 'x-cache')}`);
  return { etag: header(hit.headers, 'etag') ?? '', body: hit.body, headers: hit.headers };
}

/**
 * The budget check is answered from the project's budgets in memory (their
 * copy lasts 10 s, then one read refreshes it while the rest keep answering):
 * two checks make sure the copy is there. Its answer is never cacheable, so
 * it has no ETag; its bytes change only when spend or a budget does.
 */
async function freshCheck(url: string, auth: Record<string, string>): Promise<{ etag: string; body: string; headers: IncomingHttpHeaders }> {
  await expectStatus(200, url, { headers: auth });
  const warm = await expectStatus(200, url, { headers: auth });
  const body = JSON.parse(warm.body) as { budgets?: unknown[] };
  if (!body.budgets?.length) throw new Error(`expected the demo budgets to apply to ${url}, got ${warm.body}`);
  return { etag: '', body: warm.body, headers: warm.headers };
}

export async function hotPathScenarios(iris: Child<IrisServerInfo>, s: BenchSettings): Promise<ScenarioReport[]> {
  const auth = { authorization: `Bearer ${iris.info.key}` };
  const current = await freshOverview(`${iris.info.url}${OVERVIEW}`, auth);
  const notModified = await expectStatus(304, `${iris.info.url}${OVERVIEW}`, { headers: { ...auth, 'if-none-match': current.etag } });
  const checkAnswer = await freshCheck(`${iris.info.url}${BUDGET_CHECK}`, auth);
  const spec: BareResponses = {
    etag: current.etag,
    body: current.body,
    headers200: replayable(current.headers),
    headers304: replayable(notModified.headers),
    budgetCheck: { path: new URL(BUDGET_CHECK, iris.info.url).pathname, body: checkAnswer.body, headers: replayable(checkAnswer.headers) },
  };
  const bare = await startChild<{ url: string }>('scripts/bench-cache/bare-server.ts', { label: 'bare hono', args: [JSON.stringify(spec)] });
  try {
    const bare200 = await expectStatus(200, `${bare.info.url}${OVERVIEW}`, { headers: auth });
    if (bare200.body !== current.body) throw new Error('the bare handler does not send the bytes Iris sent');
    const bare304 = await expectStatus(304, `${bare.info.url}${OVERVIEW}`, { headers: { ...auth, 'if-none-match': spec.etag } });
    const bareCheck = await expectStatus(200, `${bare.info.url}${BUDGET_CHECK}`, { headers: auth });
    if (bareCheck.body !== checkAnswer.body) throw new Error('the bare handler does not send the budget check Iris sent');
    const reports: ScenarioReport[] = [];
    for (const mode of MODES) {
      const url = `${iris.info.url}${mode.path}`;
      const bareUrl = `${bare.info.url}${mode.path}`;
      const irisHeaders = mode.id === 'budget-check' ? checkAnswer.headers : mode.status === 200 ? current.headers : notModified.headers;
      const bareHeaders = mode.id === 'budget-check' ? bareCheck.headers : mode.status === 200 ? bare200.headers : bare304.headers;
      const headerCounts = { iris: Object.keys(irisHeaders).length, bare: Object.keys(bareHeaders).length };
      const l1Shares: number[] = [];
      const run = async (variant: Variant, durationS: number, record: boolean): Promise<LoadResult> => {
        if (variant === 'bare') {
          const headers = mode.status === 304 ? { ...auth, 'if-none-match': spec.etag } : auth;
          return runLoad({ url: bareUrl, connections: s.connections, durationS, headers, serverPid: bare.pid });
        }
        const { etag } = await freshOverview(url, auth);
        const headers = mode.status === 304 ? { ...auth, 'if-none-match': etag } : auth;
        const before = await prometheusText(iris.info.url);
        const result = await runLoad({ url, connections: s.connections, durationS, headers, serverPid: iris.pid });
        const after = await prometheusText(iris.info.url);
        const delta = (labels: Record<string, string>) => sampleSum(after, 'cache_requests_total', labels) - sampleSum(before, 'cache_requests_total', labels);
        if (record) l1Shares.push(delta({ layer: 'l1', result: 'hit' }) / Math.max(1, delta({})));
        return result;
      };
      s.progress(`${mode.title}: warm-up, then ${s.rounds} rounds x ${s.roundS} s each, alternating`);
      await run('iris', s.warmupS, false);
      await run('bare', s.warmupS, false);
      const rounds = await interleavedRounds<Variant>(['iris', 'bare'], s.rounds, (v) => run(v, s.roundS, true), s.progress);
      const ratios = rounds.iris.map((r, i) => r.rps / (rounds.bare[i]?.rps ?? Number.NaN));
      const ratio = median(ratios);
      const m = { iris: medians(rounds.iris), bare: medians(rounds.bare) };
      const statuses = { iris: statusTotals(rounds.iris), bare: statusTotals(rounds.bare) };
      const wrong = unexpectedStatuses(statuses.iris, mode.status) + unexpectedStatuses(statuses.bare, mode.status) + m.iris.errors + m.bare.errors;
      const row = (name: string, x: (typeof m)['iris'], headers: number) => medianRow(name, x, String(headers));
      const of = (f: (x: (typeof m)['iris']) => number) => (f(m.iris) / f(m.bare)).toFixed(2);
      const cpuRatio = m.bare.serverCpuUsPerRequest / m.iris.serverCpuUsPerRequest;
      reports.push({
        id: mode.id,
        title: mode.title,
        table: table(
          ['server', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/req', 'requests', 'headers'],
          [
            row(mode.id === 'budget-check' ? 'Iris (budgets in memory, 200)' : `Iris (X-Cache HIT-L1, ${mode.status})`, m.iris, headerCounts.iris),
            row(`bare Hono (${mode.status})`, m.bare, headerCounts.bare),
            ['Iris / bare', ratio.toFixed(3), of((x) => x.p50Ms), of((x) => x.p99Ms), '', of((x) => x.serverCpuUsPerRequest), '', ''],
          ],
        ),
        notes: [
          `throughput ratio per round (Iris/bare in the same round): ${ratios.map((r) => r.toFixed(3)).join(', ')}, median ${ratio.toFixed(3)}; ` +
            'in the last row latency and CPU are Iris/bare too (lower is better)',
          `CPU-normalised ratio (bare CPU µs/req ÷ Iris CPU µs/req, from /proc of each server process): ${cpuRatio.toFixed(3)}; ` +
            'a server below ~95% CPU was not saturated (the load generator shares the 2 cores)',
          `share of Iris cache lookups (${mode.id === 'budget-check' ? 'budgets' : 'overview'} and API key) answered by L1 during the rounds: ${pct(median(l1Shares), 2)} (median over rounds)`,
          `statuses: Iris ${JSON.stringify(statuses.iris)}, bare ${JSON.stringify(statuses.bare)}; socket errors/timeouts ${m.iris.errors + m.bare.errors}`,
        ],
        checks: [
          check(`${mode.id}: Iris/bare throughput ratio`, ratio, '>=', mode.target, (n) => n.toFixed(2)),
          check(`${mode.id}: responses other than ${mode.status}, or errors`, wrong, '==', 0),
        ],
        data: { ratio, ratios, cpuNormalisedRatio: cpuRatio, medians: m, statuses, headerCounts, l1HitShares: l1Shares, rounds },
      });
    }
    return reports;
  } finally {
    await bare.stop();
  }
}
