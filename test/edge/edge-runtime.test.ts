/**
 * Edge proof (issue 10): the route modules, bundled for a Web runtime, load
 * inside @edge-runtime/vm (the runtime Vercel uses to emulate Edge) with the
 * Supabase (PostgREST) database and the Upstash REST KV, and answer requests.
 * Node built-ins are not there: the bundle may name them only from the
 * Node-only adapters, which load lazily and are never reached on this path
 * (PGlite, postgres.js, the node:http webhook transport: docs/architecture.md).
 * PostgREST and Upstash are played by a small local server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPECTED_MIGRATIONS } from '../../lib/db/manifest.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const METRICS_TOKEN = 'edge-metrics-token-0123456789';
let backend: Server;
let backendUrl: string;
const calls: string[] = [];
let vm: EdgeVM;
const nodeModulesAsked: string[] = [];

beforeAll(async () => {
  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/rest/v1/rpc/iris_applied_migrations')) {
        res.end(JSON.stringify(EXPECTED_MIGRATIONS.map((name) => ({ name, applied_at: null, source: 'supabase' }))));
      } else if (req.url?.startsWith('/rest/v1/rpc/')) {
        res.end('[]');
      } else if (req.url === '/pipeline' || req.url === '/') {
        // Upstash REST: one command, or a pipeline of them; only PING is played.
        const commands = (req.url === '/' ? [JSON.parse(body)] : JSON.parse(body)) as string[][];
        const results = commands.map((command) => ({ result: String(command[0]).toLowerCase() === 'ping' ? 'PONG' : null }));
        res.end(JSON.stringify(req.url === '/' ? results[0] : results));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'not played by this test' }));
      }
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  const bundle = await build({
    stdin: {
      contents: `export { healthRoute, detailedHealthRoute, overviewRoute, openApiRoute } from './lib/routes/index.js';
        export { createServices } from './lib/services.js';
        export { loadConfig } from './lib/config.js';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'Iris',
    platform: 'browser',
    conditions: ['edge-light', 'worker', 'browser'],
    // The Node-only adapters' imports; loaded lazily, so only a call would reach them. `async_hooks` and
    // `events` are what @vercel/otel's Edge build asks for (Vercel's Edge runtime has both); it loads only
    // when tracing is configured, which it is not here.
    external: ['node:*', '@electric-sql/pglite', 'postgres', 'async_hooks', 'events'],
    logLevel: 'silent',
  });
  vm = new EdgeVM({
    extend: (context) => {
      // What a bundled `import 'node:…'` becomes: recorded, and unusable, as on Edge.
      (context as Record<string, unknown>).require = (name: string) => {
        nodeModulesAsked.push(name);
        throw new Error(`${name} is not available on the Edge runtime`);
      };
      // Vercel's Edge runtime has process.env (and nothing else of process); @vercel/functions reads it.
      (context as Record<string, unknown>).process = { env: {} };
      return context;
    },
  });
  vm.evaluate(bundle.outputFiles[0]!.text);
  vm.evaluate(`globalThis.servicesPromise = Iris.createServices({
    config: Iris.loadConfig({
      SUPABASE_URL: ${JSON.stringify(backendUrl)},
      SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-for-the-edge-test',
      KV_REST_API_URL: ${JSON.stringify(backendUrl)},
      KV_REST_API_TOKEN: 'kv-token-for-the-edge-test',
      IRIS_METRICS_TOKEN: ${JSON.stringify(METRICS_TOKEN)},
      IRIS_LOG_LEVEL: 'silent',
    }),
    processMetrics: false,
  });
  globalThis.answer = async (route, url, headers) => {
    const services = await globalThis.servicesPromise;
    const response = await Iris[route].fetch(new Request(url, { headers }), { services });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
  };`);
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

type Answer = { status: number; type: string | null; body: string };
const answer = (route: string, path: string, headers: Record<string, string> = {}) =>
  (vm.context as unknown as { answer: (r: string, u: string, h: Record<string, string>) => Promise<Answer> }).answer(
    route,
    `https://iris.example${path}`,
    headers,
  );

describe('the routes on @edge-runtime/vm', () => {
  it('answer GET /api/health with the Supabase and Upstash adapters configured', async () => {
    const res = await answer('healthRoute', '/api/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok' });
  });

  it('reach PostgREST through supabase-js and Upstash over REST for the detailed health check', async () => {
    const res = await answer('detailedHealthRoute', '/api/health/detailed', { authorization: `Bearer ${METRICS_TOKEN}` });
    const body = JSON.parse(res.body) as { database: { kind: string; status: string }; kv: { kind: string }; migrations: { status: string } };
    expect(res.status).toBe(200);
    expect(body.database).toMatchObject({ kind: 'supabase', status: 'up' });
    expect(body.kv.kind).toBe('upstash');
    expect(body.migrations.status).toBe('current');
    expect(calls.some((c) => c.startsWith('POST /rest/v1/rpc/iris_applied_migrations'))).toBe(true);
  });

  it('serve the OpenAPI document, and ask for no Node built-in on the way', async () => {
    const res = await answer('openApiRoute', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { openapi: string }).openapi).toBe('3.1.0');
    expect(nodeModulesAsked).toEqual([]);
  });
});
