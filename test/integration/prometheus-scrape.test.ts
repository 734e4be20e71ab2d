import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import { createLogger } from '../../lib/log.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { ADMIN_TOKEN, API_DIR, sampleRun } from '../support/app.js';
import { waitFor } from './harness/process.js';
import { hasPrometheus, startPrometheus, type PrometheusServer } from './harness/prometheus.js';

// A real Prometheus scraping a real Iris local server (embedded defaults:
// PGlite and the in-memory KV) the way docs/monitoring/prometheus.yml scrapes
// a deployment: /api/metrics?format=prometheus with the bearer token.

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const N = 25;
const root = fileURLToPath(new URL('../..', import.meta.url));
const ALERTS = `${root}docs/monitoring/alerts.yml`;
const hasPromtool = spawnSync('promtool', ['--version']).status === 0;

interface Rule {
  name: string;
  query: string;
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation: string;
}

describe.skipIf(!hasPrometheus())('Prometheus scraping a running Iris', () => {
  let server: LocalServer;
  let prom: PrometheusServer;
  let key = '';

  const send = (path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}) => {
    const { token = key, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) });
  };

  async function created<T>(res: Response): Promise<T> {
    if (res.status !== 201) throw new Error(`${res.url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Why Prometheus has no data yet, for timeout messages: the target's last scrape error. */
  async function targetHealth(): Promise<string> {
    const data = await prom.api<{ activeTargets: { health: string; lastError: string; scrapeUrl: string }[] }>('targets');
    return JSON.stringify(data.activeTargets.map(({ health, lastError, scrapeUrl }) => ({ health, lastError, scrapeUrl })));
  }

  beforeAll(async () => {
    const services = await createServices({
      config: loadConfig({ IRIS_ADMIN_TOKEN: ADMIN_TOKEN, IRIS_METRICS_TOKEN: METRICS_TOKEN }),
      db: await createPgliteDb({ dataDir: null }),
      log: createLogger({ level: 'silent' }),
    });
    server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
    const project = await created<{ id: string }>(
      await send('/api/admin/projects', { method: 'POST', token: ADMIN_TOKEN, json: { name: 'Scraped' } }),
    );
    ({ key } = await created<{ key: string }>(
      await send('/api/admin/api-keys', { method: 'POST', token: ADMIN_TOKEN, json: { projectId: project.id, label: 'scrape' } }),
    ));
    // N known requests before the first scrape, then Prometheus scraping as prometheus.yml does.
    for (let i = 0; i < N; i++) {
      const res = await send('/api/iris/overview');
      if (res.status !== 200) throw new Error(`GET /api/iris/overview: ${res.status} ${await res.text()}`);
    }
    prom = await startPrometheus({
      target: server.url,
      metricsPath: '/api/metrics',
      params: { format: 'prometheus' },
      bearerToken: METRICS_TOKEN,
      ruleFiles: [ALERTS],
    });
  });

  afterAll(async () => {
    await prom?.stop();
    await server?.close();
  });

  it('reads back, through its query API, exactly the requests Iris answered', async () => {
    const expr = 'sum(http_requests_total{route="/api/iris/overview",method="GET",status="200"})';
    let last: string | undefined;
    try {
      await waitFor(
        async () => {
          last = (await prom.query(expr))[0]?.value[1];
          return last === String(N);
        },
        { what: `${expr} to equal ${N}`, timeoutMs: 30_000, intervalMs: 250 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last value ${last}; targets ${await targetHealth()}`, { cause: error });
    }
    expect((await prom.query('up{job="iris"}'))[0]?.value[1]).toBe('1');
    // The scrapes were authorized by the token; without it the endpoint refuses.
    expect((await send('/api/metrics?format=prometheus', { token: null })).status).toBe(401);
  });

  it('evaluates every alert rule and every dashboard query on the scraped data without an error', async () => {
    const rules = async () =>
      (await prom.api<{ groups: { rules: Rule[] }[] }>('rules', { type: 'alert' })).groups.flatMap((g) => g.rules);
    await waitFor(async () => (await rules()).every((r) => r.health !== 'unknown'), {
      what: 'every alert rule to be evaluated',
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const evaluated = await rules();
    expect(evaluated.length).toBeGreaterThanOrEqual(10);
    for (const rule of evaluated) expect({ name: rule.name, health: rule.health, error: rule.lastError ?? '' }).toMatchObject({ health: 'ok', error: '' });

    const dashboard = JSON.parse(readFileSync(`${root}docs/monitoring/grafana-dashboard.json`, 'utf8')) as {
      panels: { title: string; targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(0);
    for (const { title, expr } of exprs) {
      const concrete = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'iris');
      await expect(prom.query(concrete), `${title}: ${concrete}`).resolves.toBeInstanceOf(Array);
    }
    // Rates need two scrapes; once there are, the request-rate panel shows traffic.
    await waitFor(async () => (await prom.query('sum(rate(http_requests_total{job=~"iris"}[1m]))')).length === 1, {
      what: 'a request rate',
      timeoutMs: 15_000,
      intervalMs: 250,
    });
  });

  it.skipIf(!hasPromtool)('exposes, after reads, writes and refusals, text that promtool check metrics accepts', async () => {
    const reads = ['/api/iris/overview', '/api/iris/stats/tokens', '/api/iris/stats/performance', '/api/iris/runs?limit=5', '/api/iris/experts', '/api/iris/reports', '/api/iris/reflexions'];
    for (const path of reads) expect((await send(path)).status, path).toBe(200);
    await created(await send('/api/iris/runs', { method: 'POST', json: [sampleRun(), sampleRun({ outcome: 'failure' })] }));
    await created(await send('/api/iris/experts', { method: 'POST', json: { expertId: 'planner', version: 1, signature: 'plan' } }));
    expect((await send('/api/iris/experts/planner/usage', { method: 'POST', json: {} })).status).toBeLessThan(300);
    expect((await send('/api/iris/overview', { token: null })).status).toBe(401);
    expect((await send('/api/iris/overview', { token: 'not-a-key' })).status).toBe(401);
    expect((await send('/api/iris/runs', { method: 'POST', json: { nope: true } })).status).toBe(422);
    const broken = { method: 'POST', body: '{"runs": [', headers: { 'content-type': 'application/json' } };
    expect((await send('/api/iris/runs', broken)).status).toBe(400);
    expect((await send('/api/iris/overview', { method: 'DELETE' })).status).toBe(405);

    for (const [query, accept] of [
      ['?format=prometheus', undefined],
      ['', 'text/plain'],
      ['?format=prometheus&scope=fleet', undefined],
    ] as const) {
      const res = await send(`/api/metrics${query}`, { token: METRICS_TOKEN, headers: accept ? { accept } : {} });
      expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await res.text();
      expect(text).toMatch(/^http_requests_total\{route="\/api\/iris\/runs",method="POST",status="422"\} 1$/m);
      expect(text).toMatch(/^http_requests_total\{route="\/api\/iris\/runs",method="POST",status="400"\} 1$/m);
      expect(text).toMatch(/^runs_ingested_total 2$/m);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`, `promtool check metrics on /api/metrics${query}`).toBe('');
      expect(check.status).toBe(0);
    }
  });
});
