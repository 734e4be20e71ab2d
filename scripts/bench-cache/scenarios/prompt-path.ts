/**
 * Scenarios 9 and 10 (issue 13): the two calls agents make before every LLM
 * call, answered from memory, against a bare Hono handler sending the same
 * bytes with the same headers, in interleaved rounds as scenario 1:
 * GET /api/iris/prompts/{name} (the production label, HIT-L1) and
 * GET /api/iris/experiments/{key}/assignment (hashing the subject against the
 * experiment definition in L1). Target: a throughput ratio of at least 0.80.
 */
import { table } from '../../../lib/loadgen/index.js';
import { DEMO_EXPERIMENT, DEMO_PROMPT } from '../../../lib/seed/index.js';
import type { BareResponses } from '../bare-server.js';
import { startChild, type Child } from '../child-process.js';
import { expectStatus, header } from '../http.js';
import type { IrisServerInfo } from '../iris-server.js';
import { interleavedRounds, median, medianRow, medians, statusTotals, runLoad } from '../load.js';
import { check, unexpectedStatuses, type BenchSettings, type ScenarioReport } from '../report.js';
import { replayable } from './hot-path.js';

const TARGETS = [
  { id: 'prompt-l1', title: `9. GET /api/iris/prompts/${DEMO_PROMPT} (production, from L1) vs bare Hono`, path: `/api/iris/prompts/${DEMO_PROMPT}` },
  {
    id: 'assignment-l1',
    title: `10. GET /api/iris/experiments/${DEMO_EXPERIMENT}/assignment (definition from L1) vs bare Hono`,
    path: `/api/iris/experiments/${DEMO_EXPERIMENT}/assignment?subject=user-1`,
  },
] as const;
const TARGET_RATIO = 0.8;

export async function promptPathScenarios(iris: Child<IrisServerInfo>, s: BenchSettings): Promise<ScenarioReport[]> {
  const auth = { authorization: `Bearer ${iris.info.key}` };
  const reports: ScenarioReport[] = [];
  for (const target of TARGETS) {
    const url = `${iris.info.url}${target.path}`;
    await expectStatus(200, url, { headers: auth });
    const warm = await expectStatus(200, url, { headers: auth });
    if (target.id === 'prompt-l1' && header(warm.headers, 'x-cache') !== 'HIT-L1') throw new Error(`expected HIT-L1, got ${header(warm.headers, 'x-cache')}`);
    const spec: BareResponses = { etag: '', body: warm.body, headers200: replayable(warm.headers), headers304: {} };
    const bare = await startChild<{ url: string }>('scripts/bench-cache/bare-server.ts', { label: 'bare hono', args: [JSON.stringify(spec)] });
    try {
      const bareUrl = `${bare.info.url}${target.path}`;
      const run = (variant: 'iris' | 'bare', durationS: number) =>
        variant === 'iris'
          ? runLoad({ url, connections: s.connections, durationS, headers: auth, serverPid: iris.pid })
          : runLoad({ url: bareUrl, connections: s.connections, durationS, headers: auth, serverPid: bare.pid });
      s.progress(`${target.title}: warm-up, then ${s.rounds} rounds x ${s.roundS} s each, alternating`);
      await run('iris', s.warmupS);
      await run('bare', s.warmupS);
      const rounds = await interleavedRounds<'iris' | 'bare'>(['iris', 'bare'], s.rounds, (v) => run(v, s.roundS), s.progress);
      const ratios = rounds.iris.map((r, i) => r.rps / (rounds.bare[i]?.rps ?? Number.NaN));
      const ratio = median(ratios);
      const m = { iris: medians(rounds.iris), bare: medians(rounds.bare) };
      const statuses = { iris: statusTotals(rounds.iris), bare: statusTotals(rounds.bare) };
      const wrong = unexpectedStatuses(statuses.iris, 200) + unexpectedStatuses(statuses.bare, 200) + m.iris.errors + m.bare.errors;
      const row = (name: string, x: (typeof m)['iris']) => medianRow(name, x);
      reports.push({
        id: target.id,
        title: target.title,
        table: table(
          ['server', 'req/s (median)', 'p50 ms', 'p99 ms', 'server CPU', 'CPU µs/req', 'requests'],
          [row('Iris', m.iris), row('bare Hono', m.bare), ['Iris / bare', ratio.toFixed(3), '', '', '', '', '']],
        ),
        notes: [
          `throughput ratio per round: ${ratios.map((r) => r.toFixed(3)).join(', ')}, median ${ratio.toFixed(3)}`,
          `CPU-normalised ratio (bare CPU µs/req ÷ Iris CPU µs/req): ${(m.bare.serverCpuUsPerRequest / m.iris.serverCpuUsPerRequest).toFixed(3)}`,
          `statuses: Iris ${JSON.stringify(statuses.iris)}, bare ${JSON.stringify(statuses.bare)}`,
        ],
        checks: [
          check(`${target.id}: Iris/bare throughput ratio`, ratio, '>=', TARGET_RATIO, (n) => n.toFixed(2)),
          check(`${target.id}: responses other than 200, or errors`, wrong, '==', 0),
        ],
        data: { ratio, ratios, medians: m, statuses, rounds },
      });
    } finally {
      await bare.stop();
    }
  }
  return reports;
}
