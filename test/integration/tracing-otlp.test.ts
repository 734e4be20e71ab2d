/**
 * Iris's own traces reaching a real OTLP/HTTP endpoint: Iris runs in a child
 * process configured only by the standard OTEL_* variables (so @vercel/otel
 * registers the SDK exactly as it would on a deployment), on PostgreSQL 15
 * and Upstash-over-REST Redis from the harness. A small OTLP receiver in this
 * test decodes what arrives with Iris's own protobuf decoder (the official
 * .proto files). A recording proxy in front of the Redis REST bridge shows
 * the trace context travelling on Iris's outbound calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufRequest, type OtlpSpan } from '../../lib/otlp/index.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { testDatabases } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;
const kvUrl = process.env.IRIS_TEST_KV_URL;
const kvToken = process.env.IRIS_TEST_KV_TOKEN;
const CHILD = fileURLToPath(new URL('./clients/iris-traced.ts', import.meta.url));

const CALLER_TRACE = '5c2a91e4d7f3b8061a4e9d2c7b3f5a10';
const CALLER_SPAN = '9e1d3c5b7a092f4e';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

const body = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

describe.skipIf(!adminUrl || !kvUrl || !kvToken)("Iris's own traces, exported to an OTLP receiver", () => {
  const dbs = testDatabases(adminUrl, 'iris_tracing');
  const spans: OtlpSpan[] = [];
  const exports: { contentType: string | undefined; authorization: string | undefined }[] = [];
  const outbound: IncomingHttpHeaders[] = [];
  let receiver: Server;
  let proxy: Server;
  let child: ChildProcess;
  let iris = '';
  let stderr = '';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      void body(req).then((raw) => {
        const bytes = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        exports.push({ contentType: req.headers['content-type'], authorization: req.headers.authorization });
        spans.push(...decodeProtobufRequest(bytes));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    const receiverUrl = await listen(receiver);
    // Forwards to the bridge, keeping each request's headers.
    proxy = createServer((req, res) => {
      void body(req).then(async (raw) => {
        outbound.push(req.headers);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<
          string,
          string
        >;
        const answer = await fetch(`${kvUrl}${req.url}`, { method: req.method, headers, body: raw.length ? new Uint8Array(raw) : undefined });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    const proxyUrl = await listen(proxy);
    const url = await dbs.createMigrated();
    child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        DATABASE_URL: url,
        KV_REST_API_URL: proxyUrl,
        KV_REST_API_TOKEN: kvToken,
        IRIS_ADMIN_TOKEN: ADMIN_TOKEN,
        IRIS_IP_LIMIT_PER_MINUTE: '100000',
        IRIS_LOG_LEVEL: 'warn',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20receiver-token',
        OTEL_SERVICE_NAME: 'iris-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    iris = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`Iris did not start: ${stderr.slice(-2000)}`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{"url"'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      child.once('exit', (code) => reject(new Error(`Iris exited ${code}: ${stderr.slice(-2000)}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await new Promise((r) => receiver?.close(r));
    await new Promise((r) => proxy?.close(r));
  });

  const send = async (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${iris}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });

  async function spansOf(traceId: string, until: (found: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = spans.filter((s) => s.traceId === traceId);
      if (until(found)) return found;
      if (Date.now() > deadline) throw new Error(`spans of ${traceId} so far: ${found.map((s) => s.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("sends a cache miss as one trace under the caller's span: request, auth and cache lookup, the RPC under the lookup, KV calls carrying the trace on", async () => {
    const project = (await (await send('/api/admin/projects', ADMIN_TOKEN, { method: 'POST', body: JSON.stringify({ name: 'traced' }) })).json()) as {
      id: string;
    };
    const key = (await (
      await send('/api/admin/api-keys', ADMIN_TOKEN, { method: 'POST', body: JSON.stringify({ projectId: project.id, label: 't' }) })
    ).json()) as {
      key: string;
    };
    outbound.length = 0;
    const res = await send('/api/iris/overview', key.key, { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('MISS');
    const requestId = res.headers.get('x-request-id');

    const trace = await spansOf(CALLER_TRACE, (found) => found.some((s) => s.kind === 2) && found.some((s) => s.name === 'rpc get_project_overview'));
    const server = trace.find((s) => s.kind === 2)!;
    expect(server.name).toBe('GET /api/iris/overview');
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.attributes).toMatchObject({ 'http.route': '/api/iris/overview', 'http.response.status_code': 200, 'iris.request_id': requestId });
    expect(server.resource).toMatchObject({ 'service.name': 'iris-under-test', 'service.version': '0.1.0' });
    expect(server.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);

    const child = (parent: OtlpSpan, name: string | RegExp) =>
      trace.filter((s) => s.parentSpanId === parent.spanId && (typeof name === 'string' ? s.name === name : name.test(s.name)));
    const [auth] = child(server, 'iris.auth');
    const [lookup] = child(server, 'iris.cache.lookup');
    expect(auth).toBeDefined();
    expect(lookup?.attributes).toMatchObject({ 'iris.cache.resource': 'overview', 'iris.cache.result': 'MISS' });
    const [rpc] = child(lookup!, 'rpc get_project_overview');
    expect(rpc).toMatchObject({ kind: 3, attributes: { 'db.system.name': 'postgresql', 'iris.db.adapter': 'postgres' } });
    expect(rpc!.startMs).toBeGreaterThanOrEqual(lookup!.startMs);
    expect(rpc!.endMs).toBeLessThanOrEqual(lookup!.endMs);
    // The L2 read of the miss is a KV span under the lookup, with the fetch to the REST API under it.
    const kvSpans = child(lookup!, /^kv /);
    expect(kvSpans.length).toBeGreaterThan(0);
    expect(trace.some((s) => kvSpans.some((k) => k.spanId === s.parentSpanId))).toBe(true);
    // The trace travelled on Iris's calls to the Redis REST API (W3C traceparent with the caller's trace id).
    expect(outbound.some((h) => String(h.traceparent ?? '').startsWith(`00-${CALLER_TRACE}-`))).toBe(true);
    // The export used the configured protocol and headers.
    expect(exports[0]).toEqual({ contentType: 'application/x-protobuf', authorization: 'Bearer receiver-token' });
    // Each span was exported once (one span processor, whatever the environment also says).
    expect(new Set(trace.map((s) => s.spanId)).size).toBe(trace.length);
    // No span carries the API key.
    expect(JSON.stringify(trace)).not.toContain(key.key);
  });

  it('names the trace in an error body, and starts a new trace when the caller sent none', async () => {
    const res = await send('/api/iris/overview', 'iris_sk_0000000000000000000000000000000000000000000');
    expect(res.status).toBe(401);
    const { error } = (await res.json()) as { error: { requestId: string; traceId: string } };
    expect(error.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(error.traceId).not.toBe(CALLER_TRACE);
    const trace = await spansOf(error.traceId, (found) => found.some((s) => s.kind === 2));
    const server = trace.find((s) => s.kind === 2)!;
    expect(server.parentSpanId).toBe('');
    expect(server.attributes).toMatchObject({ 'http.response.status_code': 401, 'iris.request_id': error.requestId });
  });
});
