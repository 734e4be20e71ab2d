import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchmarkOptions } from './benchmark.js';
import { DEFAULT_RATE_PER_S } from './benchmark-verdict.js';
import type { Target } from './target.js';

const servers: Server[] = [];

/** A server that answers every read as a cache hit after `delayMs`; `delayMs` can change between runs. */
async function cachedReads(state: { delayMs: number }): Promise<Target> {
  const server = createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'x-cache': 'HIT-L1' }).end('{}'), state.delayMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, headers: {}, metricsToken: null, adminToken: null, embedded: false };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const short: Omit<BenchmarkOptions, 'target'> = { warmupMs: 0, phases: ['concurrent', 'rate'], concurrentMs: 400, rateMs: 300, concurrency: 4 };

describe('runBenchmark', () => {
  it('judges the rate phase at the fixed default rate, whatever throughput the closed phase measured', async () => {
    const state = { delayMs: 0 };
    const target = await cachedReads(state);
    const fast = await runBenchmark({ ...short, target });
    state.delayMs = 20;
    const slow = await runBenchmark({ ...short, target });

    const throughput = (r: typeof fast) => r.phases.find((p) => p.phase === 'concurrent')!.summary.overall.throughputPerS;
    expect(throughput(fast)).toBeGreaterThan(2 * throughput(slow));
    for (const result of [fast, slow]) {
      expect(result.phases.find((p) => p.phase === 'rate')!.ratePerS).toBe(DEFAULT_RATE_PER_S);
      expect(result.rate).toMatchObject({ perS: DEFAULT_RATE_PER_S, source: 'default' });
      expect(result.rate.headroom?.capacity?.throughputPerS).toBe(throughput(result));
      // Each phase says what the machine did meanwhile, for the report to print beside a failed check.
      for (const p of result.phases) expect(p.noise?.eventLoopDelayMs.max).toBeGreaterThanOrEqual(0);
    }
  });

  it('takes a given rate as it is, and derives one from the throughput only when asked with auto', async () => {
    const target = await cachedReads({ delayMs: 5 });
    const given = await runBenchmark({ ...short, target, ratePerS: 37 });
    expect(given.rate).toMatchObject({ perS: 37, source: 'given' });

    const auto = await runBenchmark({ ...short, target, ratePerS: 'auto' });
    const concurrent = auto.phases.find((p) => p.phase === 'concurrent')!.summary.overall.throughputPerS;
    expect(auto.rate).toMatchObject({ perS: Math.max(1, Math.round(concurrent / 2)), source: 'auto' });
    expect(auto.phases.find((p) => p.phase === 'rate')!.ratePerS).toBe(auto.rate.perS);
  });

  it('reports no rate when the rate phase does not run', async () => {
    const target = await cachedReads({ delayMs: 0 });
    const result = await runBenchmark({ ...short, target, phases: ['concurrent'] });
    expect(result.rate.perS).toBeNull();
  });
});
