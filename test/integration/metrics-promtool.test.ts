import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRegistry,
  mergeSnapshots,
  registerProcessMetrics,
  renderOpenMetrics,
  renderPrometheus,
  type Registry,
} from '../../lib/metrics/index.js';

// The exposition output checked by Prometheus' own parsers: `promtool check
// metrics` (text format 0.0.4 plus its naming lint) and the OpenMetrics
// parser behind `promtool tsdb create-blocks-from openmetrics`.
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

/** A registry exercising every metric type, escaping, non-finite values, the overflow series and process gauges. */
function populated(seed: number): Registry {
  const registry = createRegistry({ maxSeriesPerMetric: 5 });
  const requests = registry.counter({
    name: 'iris_http_requests_total',
    help: 'HTTP requests by route and status. Backslash \\ and "quotes"\nand a second line.',
    labelNames: ['route', 'status'],
  });
  const latency = registry.histogram({
    name: 'iris_http_request_duration_seconds',
    help: 'HTTP request latency.',
    labelNames: ['route'],
    sketch: true,
  });
  const sizes = registry.histogram({ name: 'iris_payload_size_bytes', help: 'Payload size.', buckets: [256, 1024, 65536] });
  const inflight = registry.gauge({ name: 'iris_inflight_requests', help: 'Requests in flight.' });
  const ratio = registry.gauge({ name: 'iris_cache_hit_ratio', help: 'Cache hit ratio.', labelNames: ['tier'], merge: 'max' });
  registry.counter({ name: 'iris_unused_total', help: 'Never incremented, no labels: exposed as 0.' });
  const routes = ['/api/runs', '/api/overview', 'weird "route"\\\n', '/api/é'];
  for (let i = 0; i < 200; i++) {
    const route = routes[(i + seed) % routes.length]!;
    requests.labels({ route, status: i % 7 === 0 ? '500' : '200' }).inc();
    latency.labels({ route }).observe(((i * 37 + seed) % 1000) / 400);
    sizes.observe((i * 977) % 100_000);
  }
  for (let i = 0; i < 20; i++) requests.labels({ route: `/api/user/${i}`, status: '200' }).inc();
  latency.labels({ route: '/nan' }).observe(NaN);
  inflight.set(3);
  ratio.labels({ tier: 'l1' }).set(NaN);
  ratio.labels({ tier: 'l2' }).set(Infinity);
  registerProcessMetrics(registry).stop();
  return registry;
}

describe.skipIf(!hasPromtool)('metrics exposition checked by promtool', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iris-metrics-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const instance = populated(1);
  const fleet = mergeSnapshots([instance.snapshot(), populated(2).snapshot(), populated(3).snapshot()]);

  for (const [name, snapshot] of [
    ['an instance', instance.snapshot()],
    ['a merged fleet snapshot', fleet],
  ] as const) {
    it(`passes promtool check metrics (parse and lint) for ${name}`, () => {
      const text = renderPrometheus(snapshot);
      const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${result.stdout}${result.stderr}`).toBe('');
      expect(result.status).toBe(0);
      expect(text).toContain('iris_http_requests_total{route="other",status="other"}');
    });

    it(`is accepted by the OpenMetrics parser for ${name}`, () => {
      // The backfill command needs a timestamp on every sample; OpenMetrics
      // timestamps are seconds, appended after the value.
      const text = renderOpenMetrics(snapshot)
        .split('\n')
        .map((line) => (line === '' || line.startsWith('#') ? line : `${line} 1700000000`))
        .join('\n');
      const file = join(dir, `${name.replace(/\W+/g, '-')}.om.txt`);
      writeFileSync(file, text);
      const result = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'blocks')], {
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    });
  }
});
