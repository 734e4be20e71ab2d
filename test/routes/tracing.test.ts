/**
 * Iris's own spans through the real request path (file router, PGlite, the
 * in-memory KV), recorded by the OpenTelemetry SDK's in-memory exporter: the
 * request span continues the caller's trace, auth and the cache lookup are its
 * children, each RPC and KV command a child of the step that made it; error
 * bodies and logs carry the trace id. With tracing off, no span is made and an
 * error still names the caller's trace.
 */
import { context, propagation, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DbError } from '../../lib/db/errors.js';
import { createChaosDb, type ChaosDb } from '../../lib/db/testing.js';
import { setTracer } from '../../lib/tracing/index.js';
import { createTestApp, type TestApp, type TestProject } from '../support/app.js';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CALLER_TRACE}-${CALLER_SPAN}-01`;

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

describe('with tracing on', () => {
  let app: TestApp;
  let chaos: ChaosDb;
  let project: TestProject;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    setTracer(provider.getTracer('iris-test'));
    app = await createTestApp({ wrapDb: (db) => (chaos = createChaosDb(db)) });
    project = await app.createProject('traced');
  });
  afterAll(async () => {
    await app.close();
    setTracer(null);
    context.disable();
    propagation.disable();
  });
  beforeEach(async () => {
    await app.services.background.drain();
    exporter.reset();
  });

  it("answers a cache miss inside one trace continuing the caller's: request, then auth and the cache lookup, each RPC and KV call under the step that made it", async () => {
    const res = await app.request('/api/iris/overview', { key: project.key, headers: { traceparent: TRACEPARENT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Cache')).toBe('MISS');
    await app.services.background.drain();
    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([CALLER_TRACE]));

    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.name).toBe('GET /api/iris/overview');
    expect(parentOf(server)).toBe(CALLER_SPAN);
    expect(server.attributes).toMatchObject({
      'http.route': '/api/iris/overview',
      'http.response.status_code': 200,
      'iris.request_id': res.headers.get('X-Request-Id'),
    });
    expect(server.attributes['http.response.header.x-cache']).toEqual(['MISS']);

    const auth = spans.find((s) => s.name === 'iris.auth')!;
    const lookup = spans.find((s) => s.name === 'iris.cache.lookup')!;
    expect(parentOf(auth)).toBe(idOf(server));
    expect(parentOf(lookup)).toBe(idOf(server));
    expect(lookup.attributes).toMatchObject({ 'iris.cache.resource': 'overview', 'iris.cache.result': 'MISS' });

    const underLookup = spans.filter((s) => parentOf(s) === idOf(lookup));
    const rpc = underLookup.find((s) => s.name === 'rpc get_project_overview')!;
    expect(rpc.kind).toBe(SpanKind.CLIENT);
    expect(rpc.attributes).toMatchObject({ 'db.system.name': 'postgresql', 'db.operation.name': 'get_project_overview', 'iris.db.adapter': 'pglite' });
    // The L2 read of the miss, and the fill written after it (background work of the same request).
    expect(underLookup.some((s) => s.name.startsWith('kv ') && s.attributes['db.system.name'] === 'redis')).toBe(true);
    // The key, seen first on this instance by the admin routes' create: its check reads the auth cache.
    expect(spans.every((s) => !JSON.stringify(s.attributes).includes(project.key))).toBe(true);
  });

  it('marks a hit from L1 on the lookup span, with no RPC under it', async () => {
    await app.request('/api/iris/overview', { key: project.key });
    exporter.reset();
    const res = await app.request('/api/iris/overview', { key: project.key });
    expect(res.headers.get('X-Cache')).toBe('HIT-L1');
    const spans = exporter.getFinishedSpans();
    const lookup = spans.find((s) => s.name === 'iris.cache.lookup')!;
    expect(lookup.attributes['iris.cache.result']).toBe('HIT-L1');
    expect(spans.filter((s) => s.name.startsWith('rpc '))).toEqual([]);
    // A new trace: no traceparent was sent.
    expect(parentOf(spans.find((s) => s.kind === SpanKind.SERVER)!)).toBeUndefined();
  });

  it('puts the trace id beside the request id in an error body, and in the log line of a failure', async () => {
    const refused = await app.request('/api/iris/runs?limit=abc', { key: project.key, headers: { traceparent: TRACEPARENT } });
    expect(refused.status).toBe(422);
    const body = (await refused.json()) as { error: { requestId: string; traceId: string } };
    expect(body.error).toMatchObject({ requestId: refused.headers.get('X-Request-Id'), traceId: CALLER_TRACE });

    chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, '42883', 'function does not exist') }, ['list_reflexions']);
    try {
      const failed = await app.request('/api/iris/reflexions', { key: project.key });
      expect(failed.status).toBe(503);
      const { error } = (await failed.json()) as { error: { requestId: string; traceId: string } };
      const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.attributes['iris.request_id'] === error.requestId)!;
      expect(error.traceId).toBe(server.spanContext().traceId);
      const rpc = exporter.getFinishedSpans().find((s) => s.name === 'rpc list_reflexions')!;
      expect(rpc.status.code).toBe(2);
      expect(rpc.attributes['error.type']).toBe('42883');
      const line = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request failed' && l.requestId === error.requestId);
      expect(line).toMatchObject({ traceId: error.traceId });
    } finally {
      chaos.set({ mode: 'pass' });
    }
  });
});

describe('with tracing off', () => {
  let app: TestApp;
  let project: TestProject;
  beforeAll(async () => {
    app = await createTestApp();
    project = await app.createProject('untraced');
  });
  afterAll(() => app.close());

  it("makes no span, and an error body names the caller's trace when it sent a traceparent, and none otherwise", async () => {
    exporter.reset();
    const withParent = await app.request('/api/iris/runs?limit=abc', { key: project.key, headers: { traceparent: TRACEPARENT } });
    expect(((await withParent.json()) as { error: { traceId?: string } }).error.traceId).toBe(CALLER_TRACE);
    const without = await app.request('/api/iris/runs?limit=abc', { key: project.key });
    expect(((await without.json()) as { error: Record<string, unknown> }).error).not.toHaveProperty('traceId');
    const ok = await app.request('/api/iris/overview', { key: project.key, headers: { traceparent: TRACEPARENT } });
    expect(ok.status).toBe(200);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
