/**
 * Scenario 11: what Iris's own tracing costs on the hottest path, GET
 * /api/iris/overview from L1. Three servers side by side in interleaved
 * rounds: the bare Hono handler sending the same bytes and headers (as in
 * scenario 1), Iris with tracing unconfigured (the default: the request path
 * reads one boolean), and a second Iris with OTEL_EXPORTER_OTLP_ENDPOINT set,
 * exporting every span (request, auth, cache lookup) to an OTLP sink in this
 * process that reads and drops each batch. The unconfigured ratio is the one
 * scenario 1 measures, so tracing's absence must leave it where it was.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { num, table } from '../../../lib/loadgen/index.js';
import type { BareResponses } from '../bare-server.js';
import { startChild, type Child } from '../child-process.js';
import { expectStatus, header } from '../http.js';
import type { IrisServerInfo, IrisServerOptions } from '../iris-server.js';
import { interleavedRounds, median, medianRow, medians, runLoad, statusTotals, type LoadResult } from '../load.js';
import { check, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';
import { replayable } from './hot-path.js';

const OVERVIEW = '/api/iris/overview';
type Variant = 'untraced' | 'traced' | 'bare';

/** An OTLP/HTTP endpoint that reads every export and answers 200 with an empty ExportTraceServiceResponse. */
async function startSink(): Promise<{ url: string; exports: () => number; bytes: () => number; close: () => Promise<void> }> {
  let exports = 0;
  let bytes = 0;
  const server: Server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    bytes: () => bytes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A fresh L1 copy of the overview (as in scenario 1), so every response of a round is HIT-L1. */
async function freshOverview(url: string, auth: Record<string, string>) {
  await expectStatus(200, url, { headers: { ...auth, 'cache-control': 'no-cache' } });
  const hit = await expectStatus(200, url, { headers: auth });
  if (header(hit.headers, 'x-cache') !== 'HIT-L1') throw new Error(`expected X-Cache HIT-L1 after a refresh, got ${header(hit.headers, 'x-cache')}`);
  return hit;
}

export async function tracingScenario(untraced: Child<IrisServerInfo>, s: BenchSettings, seedRuns: number): Promise<ScenarioReport> {
  const sink = await startSink();
  const options: IrisServerOptions = { database: { kind: 'pglite' }, seedRuns, tracing: { endpoint: sink.url } };
  s.progress(`starting a second Iris with tracing on (OTLP to ${sink.url}), ${seedRuns.toLocaleString('en')} demo runs...`);
  const traced = await startChild<IrisServerInfo>('scripts/bench-cache/iris-server.ts', { label: 'iris (traced)', args: [JSON.stringify(options)] });
  let bare: Child<{ url: string }> | null = null;
  try {
    const servers = { untraced, traced };
    const auth = (v: 'untraced' | 'traced') => ({ authorization: `Bearer ${servers[v].info.key}` });
    const current = await freshOverview(`${untraced.info.url}${OVERVIEW}`, auth('untraced'));
    const notModified = await expectStatus(304, `${untraced.info.url}${OVERVIEW}`, {
      headers: { ...auth('untraced'), 'if-none-match': header(current.headers, 'etag') ?? '' },
    });
    const spec: BareResponses = {
      etag: header(current.headers, 'etag') ?? '',
      body: current.body,
      headers200: replayable(current.headers),
      headers304: replayable(notModified.headers),
    };
    bare = await startChild<{ url: string }>('scripts/bench-cache/bare-server.ts', { label: 'bare hono', args: [JSON.stringify(spec)] });
    const bareServer = bare;
    const tracedHit = await freshOverview(`${traced.info.url}${OVERVIEW}`, auth('traced'));
    const bareHit = await expectStatus(200, `${bare.info.url}${OVERVIEW}`, { headers: auth('untraced') });
    if (bareHit.body !== current.body) throw new Error('the bare handler does not send the bytes Iris sent');
    const headerCounts = {
      untraced: Object.keys(current.headers).length,
      traced: Object.keys(tracedHit.headers).length,
      bare: Object.keys(bareHit.headers).length,
    };

    const run = async (variant: Variant, durationS: number): Promise<LoadResult> => {
      if (variant === 'bare')
        return runLoad({
          url: `${bareServer.info.url}${OVERVIEW}`,
          connections: s.connections,
          durationS,
          headers: auth('untraced'),
          serverPid: bareServer.pid,
        });
      const server = servers[variant];
      await freshOverview(`${server.info.url}${OVERVIEW}`, auth(variant));
      return runLoad({ url: `${server.info.url}${OVERVIEW}`, connections: s.connections, durationS, headers: auth(variant), serverPid: server.pid });
    };
    s.progress(`11. tracing off / on vs bare Hono: warm-up, then ${s.rounds} rounds x ${s.roundS} s each, alternating`);
    for (const v of ['untraced', 'traced', 'bare'] as const) await run(v, s.warmupS);
    const exportsBefore = sink.exports();
    const rounds = await interleavedRounds<Variant>(['untraced', 'traced', 'bare'], s.rounds, (v) => run(v, s.roundS), s.progress);
    const ratio = (v: 'untraced' | 'traced') => median(rounds[v].map((r, i) => r.rps / (rounds.bare[i]?.rps ?? Number.NaN)));
    const off = ratio('untraced');
    const on = ratio('traced');
    const onVsOff = median(rounds.traced.map((r, i) => r.rps / (rounds.untraced[i]?.rps ?? Number.NaN)));
    const m = { untraced: medians(rounds.untraced), traced: medians(rounds.traced), bare: medians(rounds.bare) };
    const statuses = { untraced: statusTotals(rounds.untraced), traced: statusTotals(rounds.traced), bare: statusTotals(rounds.bare) };
    const wrong = (Object.keys(statuses) as Variant[]).reduce((n, v) => n + unexpectedStatuses(statuses[v], 200) + m[v].errors, 0);
    const row = (name: string, x: (typeof m)['bare'], headers: number) => medianRow(name, x, String(headers));
    const tracedRequests = m.traced.requests;
    return {
      id: 'tracing',
      title: '11. GET /api/iris/overview from L1: tracing unconfigured and tracing on vs bare Hono',
      table: table(
        ['server', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/req', 'requests', 'headers'],
        [
          row('Iris, tracing unconfigured (HIT-L1)', m.untraced, headerCounts.untraced),
          row('Iris, tracing on, OTLP export (HIT-L1)', m.traced, headerCounts.traced),
          row('bare Hono (200)', m.bare, headerCounts.bare),
          ['unconfigured / bare', off.toFixed(3), '', '', '', (m.bare.serverCpuUsPerRequest / m.untraced.serverCpuUsPerRequest).toFixed(3), '', ''],
          ['on / bare', on.toFixed(3), '', '', '', (m.bare.serverCpuUsPerRequest / m.traced.serverCpuUsPerRequest).toFixed(3), '', ''],
          ['on / unconfigured', onVsOff.toFixed(3), '', '', '', (m.untraced.serverCpuUsPerRequest / m.traced.serverCpuUsPerRequest).toFixed(3), '', ''],
        ],
      ),
      notes: [
        'ratios are medians over rounds of throughput in the same round; the CPU column of the ratio rows is the CPU-normalised ratio (µs/req of the denominator ÷ the numerator)',
        `the traced Iris made ${sink.exports() - exportsBefore} OTLP exports (${num(sink.bytes() / 1e6)} MB in all) during the ${tracedRequests.toLocaleString('en')} measured requests: 3 spans per request (request, auth, cache lookup) in batches of up to 512`,
        `statuses: ${JSON.stringify(statuses)}`,
      ],
      checks: [
        check('tracing: Iris (tracing unconfigured)/bare throughput ratio', off, '>=', 0.7, (n) => n.toFixed(2)),
        check('tracing: the traced Iris exported spans', sink.exports() - exportsBefore, '>', 0),
        check('tracing: responses other than 200, or errors', wrong, '==', 0),
      ],
      data: {
        ratios: { unconfiguredVsBare: off, onVsBare: on, onVsUnconfigured: onVsOff },
        medians: m,
        statuses,
        exports: sink.exports(),
        bytes: sink.bytes(),
        rounds,
      },
    };
  } finally {
    await bare?.stop();
    await traced.stop();
    await sink.close();
  }
}
