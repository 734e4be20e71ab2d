/**
 * Scenario 7: 15% ingest writes (POST /api/iris/runs, batches of 1-5 valid
 * runs) and 85% reads over the standard read routes. Every connection cycles
 * through the same 20-request sequence (17 reads, 3 writes spread out). The
 * read hit rate, from X-Cache (HIT-*, STALE and COALESCED are hits), must
 * stay above 90%.
 */
import type autocannon from 'autocannon';
import { counts, ms, num, pct, randomRunBatch, seededRandom, table } from '../../../lib/loadgen/index.js';
import type { Child } from '../child-process.js';
import { expectStatus, xCacheOf } from '../http.js';
import type { IrisServerInfo } from '../iris-server.js';
import { Latencies, runLoad } from '../load.js';
import { check, increment, standardReadPaths, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';

const SEQUENCE = 20;
const WRITE_SLOTS = new Set([6, 13, 19]);
const HITS = new Set(['HIT-L1', 'HIT-L2', 'STALE', 'COALESCED']);
type Kind = 'read' | 'write';

export async function mixScenario(iris: Child<IrisServerInfo>, s: BenchSettings): Promise<ScenarioReport> {
  const durationS = s.quick ? 5 : 15;
  const title = `7. Mix: ${((WRITE_SLOTS.size / SEQUENCE) * 100).toFixed(0)}% ingest writes + ${(100 - (WRITE_SLOTS.size / SEQUENCE) * 100).toFixed(0)}% reads for ${durationS} s`;
  const random = seededRandom(7);
  const reads = standardReadPaths();
  const auth = { authorization: `Bearer ${iris.info.key}` };
  // Steady state: every read route has been asked once, as a dashboard already open would have.
  for (const path of reads) await expectStatus(200, `${iris.info.url}${path}`, { headers: auth });

  const xCache: Record<string, number> = {};
  const statuses: Record<Kind, Record<string, number>> = { read: {}, write: {} };
  const latencies: Record<Kind, Latencies> = { read: new Latencies(), write: new Latencies() };
  // autocannon calls a request's onResponse, then (synchronously, for the same response) the run's: this carries the kind across.
  let last: Kind = 'read';
  const requests: autocannon.Request[] = Array.from({ length: SEQUENCE }, (_, slot): autocannon.Request => {
    if (WRITE_SLOTS.has(slot)) {
      return {
        method: 'POST',
        path: '/api/iris/runs',
        headers: { ...auth, 'content-type': 'application/json' },
        body: randomRunBatch(random, 5),
        onResponse: (status) => {
          last = 'write';
          increment(statuses.write, String(status));
        },
      };
    }
    return {
      method: 'GET',
      path: reads[slot % reads.length]!,
      headers: auth,
      onResponse: (status, _body, _context, headers) => {
        last = 'read';
        increment(statuses.read, String(status));
        increment(xCache, xCacheOf(headers));
      },
    };
  });
  s.progress(`${title}: ${s.connections} connections, reads over ${reads.join(', ')}`);
  const result = await runLoad({ url: iris.info.url, connections: s.connections, durationS, requests, onResponse: (_status, latencyMs) => latencies[last].push(latencyMs) });

  const readCount = latencies.read.length;
  const hits = Object.entries(xCache).reduce((n, [status, c]) => (HITS.has(status) ? n + c : n), 0);
  const hitRate = hits / Math.max(1, readCount);
  const writes = latencies.write.length;
  const read = latencies.read.summary();
  const write = latencies.write.summary();
  const failed = unexpectedStatuses(statuses.read, 200) + unexpectedStatuses(statuses.write, 201);
  return {
    id: 'mix',
    title,
    table: table(
      ['requests', 'req/s', 'p50 / p99 ms', 'reads', 'read p50 / p99 ms', 'writes', 'write p50 / p99 ms', 'read hit rate', 'X-Cache on reads'],
      [
        [
          num(result.requests),
          num(result.rps),
          `${ms(result.p50Ms)} / ${ms(result.p99Ms)}`,
          num(readCount),
          `${ms(read.p50Ms)} / ${ms(read.p99Ms)}`,
          num(writes),
          `${ms(write.p50Ms)} / ${ms(write.p99Ms)}`,
          pct(hitRate),
          counts(xCache),
        ],
      ],
    ),
    notes: [`statuses: reads ${JSON.stringify(statuses.read)}, writes ${JSON.stringify(statuses.write)}; socket errors/timeouts ${result.errors}`],
    checks: [
      check('mix: read hit rate (%)', hitRate * 100, '>', 90, (n) => n.toFixed(2)),
      check('mix: failed requests (read not 200, write not 201, socket errors)', failed + result.errors, '==', 0),
    ],
    data: { durationS, requests: result.requests, rps: result.rps, p50Ms: result.p50Ms, p99Ms: result.p99Ms, reads: readCount, read, writes, write, hitRate, xCache, statuses },
  };
}
