import { context, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { currentTraceId, setTracer, traceIdOfTraceparent, traceLogFields, withRequestSpan, withSpan } from './spans.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  setTracer(provider.getTracer('iris-test'));
});
afterAll(() => {
  setTracer(null);
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

describe('traceIdOfTraceparent', () => {
  const cases: [string | null, string | undefined][] = [
    [PARENT, '0af7651916cd43dd8448eb211c80319c'],
    [`${PARENT}-future-fields`, '0af7651916cd43dd8448eb211c80319c'],
    ['00-00000000000000000000000000000000-b7ad6b7169203331-01', undefined],
    ['00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', undefined],
    ['ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined],
    ['00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01', undefined],
    ['garbage', undefined],
    [null, undefined],
  ];
  for (const [header, id] of cases) it(`reads ${JSON.stringify(header)} as ${JSON.stringify(id)}`, () => expect(traceIdOfTraceparent(header)).toBe(id));
});

describe('Iris spans', () => {
  it('nest a span started inside another, across an await, and keep a synchronous result synchronous', async () => {
    const sync = withSpan('outer', {}, () => withSpan('inner-sync', {}, () => 42));
    expect(sync).toBe(42);
    await withSpan('outer-async', {}, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await withSpan('inner-async', { 'iris.x': 1 }, async () => 'done');
    });
    const spans = exporter.getFinishedSpans();
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(byName['inner-sync']!.parentSpanContext?.spanId).toBe(byName.outer!.spanContext().spanId);
    expect(byName['inner-async']!.parentSpanContext?.spanId).toBe(byName['outer-async']!.spanContext().spanId);
    expect(byName['inner-async']!.attributes['iris.x']).toBe(1);
  });

  it('mark a failure as an error but a 4xx refusal only as an attribute', async () => {
    await expect(withSpan('boom', {}, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(() =>
      withSpan('refused', {}, () => {
        throw new HttpError(401, 'unauthorized', 'no');
      }),
    ).toThrow();
    const [boom, refused] = exporter.getFinishedSpans();
    expect(boom!.status.code).toBe(SpanStatusCode.ERROR);
    expect(boom!.attributes['error.type']).toBe('Error');
    expect(refused!.status.code).toBe(SpanStatusCode.UNSET);
    expect(refused!.attributes['iris.error.status']).toBe(401);
  });

  it("make the request span a SERVER child of the caller's traceparent, with the status, request id and X-Cache", async () => {
    const request = new Request('http://iris.test/api/iris/overview', { headers: { traceparent: PARENT } });
    let inside: string | undefined;
    const response = await withRequestSpan(
      request,
      'GET',
      '/api/iris/overview',
      '/api/iris/overview',
      async () => {
        inside = currentTraceId(null);
        return new Response('{}', { status: 200, headers: { 'X-Cache': 'MISS' } });
      },
      (r) => ({ status: r.status, requestId: 'req-1', cache: r.headers.get('X-Cache') }),
    );
    expect(response.status).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.name).toBe('GET /api/iris/overview');
    expect(span!.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span!.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span!.attributes).toMatchObject({ 'http.response.status_code': 200, 'iris.request_id': 'req-1', 'http.route': '/api/iris/overview' });
    expect(span!.attributes['http.response.header.x-cache']).toEqual(['MISS']);
    expect(inside).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('start a new trace without a traceparent, and give log lines its ids only inside a span', () => {
    expect(traceLogFields()).toBeUndefined();
    const request = new Request('http://iris.test/x');
    let fields: Record<string, string> | undefined;
    withRequestSpan(
      request,
      'GET',
      '/x',
      '/x',
      () => {
        fields = traceLogFields();
        return new Response(null, { status: 503 });
      },
      (r) => ({ status: r.status, requestId: undefined, cache: null }),
    );
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(fields).toEqual({ traceId: span!.spanContext().traceId, spanId: span!.spanContext().spanId });
  });

  it("report no trace id when tracing is off and the caller sent none, and the caller's when it did", () => {
    setTracer(null);
    try {
      expect(currentTraceId(null)).toBeUndefined();
      expect(currentTraceId(PARENT)).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(withSpan('not recorded', {}, () => 1)).toBe(1);
      expect(exporter.getFinishedSpans()).toEqual([]);
      expect(trace.getActiveSpan()).toBeUndefined();
    } finally {
      setTracer(provider.getTracer('iris-test'));
    }
  });
});
