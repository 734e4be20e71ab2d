/**
 * Real OpenTelemetry clients against a running Iris (local server, PostgreSQL
 * 15 of the harness): the official JS SDK with the protobuf and the JSON OTLP
 * exporter, and the Vercel AI SDK with telemetry on, each in a child process
 * of its own (test/integration/clients/). What they emitted is read back
 * through /api/iris/runs and the stats endpoints, and must be equal.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/log.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { ADMIN_TOKEN, API_DIR } from '../support/app.js';
import { testDatabases } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const CLIENTS = fileURLToPath(new URL('./clients/', import.meta.url));

interface RunView {
  model: string;
  expertId: string;
  agentId: string | null;
  promptVersion: string | null;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  costSource: string;
  metadata: { otel: { traceId: string; spanId: string; convention: string }; resource: Record<string, string> };
}

/** Runs a client script with tsx in a child process and returns the JSON line it prints. */
function runClient<T>(script: string, env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${CLIENTS}${script}`], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${script} exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

describe.skipIf(!adminUrl)('OpenTelemetry clients exporting to a running Iris', () => {
  const dbs = testDatabases(adminUrl, 'iris_otlp');
  let server: LocalServer;

  const send = async (path: string, token: string, init: RequestInit = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'cache-control': 'no-cache', ...init.headers },
    });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };
  async function projectKey(name: string): Promise<string> {
    const project = await send('/api/admin/projects', ADMIN_TOKEN, { method: 'POST', body: JSON.stringify({ name }) });
    const key = await send('/api/admin/api-keys', ADMIN_TOKEN, { method: 'POST', body: JSON.stringify({ projectId: project.id, label: 'otlp' }) });
    return key.key as string;
  }
  const runs = async (key: string) => (await send('/api/iris/runs?limit=100', key)).data as RunView[];
  const tokenStats = async (key: string) =>
    (await send('/api/iris/stats/tokens', key)) as {
      totals: { runs: number; inputTokens: number; outputTokens: number };
      models: { model: string; runs: number }[];
    };

  beforeAll(async () => {
    const url = await dbs.createMigrated();
    const services = await createServices({
      config: loadConfig({ IRIS_ADMIN_TOKEN: ADMIN_TOKEN, DATABASE_URL: url, IRIS_IP_LIMIT_PER_MINUTE: '100000' }),
      log: createLogger({ level: 'silent' }),
      processMetrics: false,
    });
    server = await startLocalServer({ apiDir: API_DIR, services, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const exporter of ['proto', 'http'] as const) {
    it(`stores the runs the OpenTelemetry JS SDK exports with exporter-trace-otlp-${exporter}, once each, with their tokens and models`, async () => {
      const key = await projectKey(`OTel SDK ${exporter}`);
      const client = await runClient<{
        emitted: { runs: number; inputTokens: number; outputTokens: number; models: Record<string, number> };
        results: { code: number; error?: string }[];
        spans: number;
      }>('otel-sdk.ts', { IRIS_OTLP_URL: `${server.url}/api/otel/v1/traces`, IRIS_OTLP_KEY: key, IRIS_OTLP_EXPORTER: exporter });
      // Every export succeeded (ExportResultCode.SUCCESS), the retry included.
      expect(client.results.length).toBeGreaterThanOrEqual(2);
      expect(client.results.every((r) => r.code === 0)).toBe(true);

      const stored = await runs(key);
      expect(stored).toHaveLength(client.emitted.runs);
      const models: Record<string, number> = {};
      for (const r of stored) models[r.model] = (models[r.model] ?? 0) + 1;
      expect(models).toEqual(client.emitted.models);
      expect(stored.reduce((n, r) => n + r.inputTokens, 0)).toBe(client.emitted.inputTokens);
      expect(stored.reduce((n, r) => n + r.outputTokens, 0)).toBe(client.emitted.outputTokens);
      for (const r of stored) {
        expect(r.metadata.otel.traceId).toMatch(/^[0-9a-f]{32}$/);
        expect(r.metadata.resource['service.name']).toBe(`otel-sdk-${exporter}`);
      }
      expect(stored.find((r) => r.model === 'gpt-4o-mini')).toMatchObject({ agentId: 'planner-1', expertId: 'Planner' });
      expect(stored.find((r) => r.model === 'gpt-4o')).toMatchObject({ expertId: 'sdk-expert', costSource: 'computed' });

      const stats = await tokenStats(key);
      expect(stats.totals).toMatchObject({ runs: client.emitted.runs, inputTokens: client.emitted.inputTokens, outputTokens: client.emitted.outputTokens });
      expect(Object.fromEntries(stats.models.map((m) => [m.model, m.runs]))).toEqual(client.emitted.models);
    });
  }

  it('turns the spans the Vercel AI SDK really emits for generateText and streamText into one run per model call, with the model and tokens it reported', async () => {
    const key = await projectKey('AI SDK');
    const client = await runClient<{
      reported: { runs: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; reasoningTokens: number };
      spans: { name: string; operationId: string }[];
    }>('ai-sdk.ts', { IRIS_OTLP_URL: `${server.url}/api/otel/v1/traces`, IRIS_OTLP_KEY: key });
    // The SDK emits an outer span per call and one per provider call: only the latter are runs.
    expect(client.spans.map((s) => s.operationId).sort()).toEqual([
      'ai.generateText',
      'ai.generateText',
      'ai.generateText.doGenerate',
      'ai.generateText.doGenerate',
      'ai.streamText',
      'ai.streamText.doStream',
    ]);
    const stored = await runs(key);
    expect(stored).toHaveLength(client.reported.runs);
    for (const r of stored)
      expect(r).toMatchObject({ model: 'mock-writer-1', expertId: 'ai-writer', promptVersion: 'p3', metadata: { otel: { convention: 'ai_sdk' } } });
    expect(stored.reduce((n, r) => n + r.inputTokens, 0)).toBe(client.reported.inputTokens);
    expect(stored.reduce((n, r) => n + r.outputTokens, 0)).toBe(client.reported.outputTokens);
    expect(stored.reduce((n, r) => n + r.cacheReadTokens, 0)).toBe(client.reported.cacheReadTokens);
    expect(stored.reduce((n, r) => n + r.reasoningTokens, 0)).toBe(client.reported.reasoningTokens);
    const stats = await tokenStats(key);
    expect(stats.totals).toMatchObject({ runs: client.reported.runs, inputTokens: client.reported.inputTokens, outputTokens: client.reported.outputTokens });
  });
});
