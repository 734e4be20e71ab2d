import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChaosDb, refused, type ChaosDb } from '../../lib/db/testing.js';
import { otlpTypes } from '../../lib/otlp/index.js';
import { createTestApp, rowCounts, type TestApp, type TestProject } from '../support/app.js';
import { chatSpan, gzip, otlpJson, otlpProtobuf, randomSpanId, randomTraceId } from '../support/otlp.js';

const PATH = '/api/otel/v1/traces';
const PROTOBUF = { 'content-type': 'application/x-protobuf' };

let app: TestApp;
let chaos: ChaosDb;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp({ wrapDb: (db) => (chaos = createChaosDb(db)) });
});
beforeEach(async () => {
  chaos.set({ mode: 'pass' });
  project = await app.createProject(`OTLP ${crypto.randomUUID()}`);
});
afterAll(() => app.close());

function post(body: BodyInit | Uint8Array, headers: Record<string, string>, key: string | null = project.key) {
  return app.request(PATH, { method: 'POST', key, headers, body: body as BodyInit });
}

async function runs(key = project.key) {
  const res = await app.request('/api/iris/runs?limit=100', { key, headers: { 'cache-control': 'no-cache' } });
  return ((await res.json()) as { data: Record<string, unknown>[] }).data;
}

function decodeResponse(bytes: ArrayBuffer) {
  const { response } = otlpTypes();
  return response.toObject(response.decode(new Uint8Array(bytes)), { longs: Number });
}

describe('POST /api/otel/v1/traces', () => {
  it('stores a gzip protobuf export of GenAI spans as runs with their trace and span ids, tokens and computed cost', async () => {
    const traceId = randomTraceId();
    const spanId = randomSpanId();
    const body = otlpProtobuf(otlpJson([chatSpan({ traceId, spanId, input: 1000, output: 200, durationMs: 420 })]));
    const res = await post(gzip(body), { ...PROTOBUF, 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(decodeResponse(await res.arrayBuffer())).toEqual({});
    const [run] = await runs();
    expect(run).toMatchObject({
      model: 'gpt-4o',
      expertId: 'test-agent',
      inputTokens: 1000,
      outputTokens: 200,
      latencyMs: 420,
      outcome: 'success',
      costSource: 'computed',
      metadata: { otel: { traceId, spanId, convention: 'gen_ai', operation: 'chat' }, resource: { 'service.name': 'test-agent' } },
    });
    expect(Number(run!.costUsd)).toBeGreaterThan(0);
  });

  it('accepts the JSON encoding and answers in it', async () => {
    const res = await app.request(PATH, { method: 'POST', key: project.key, json: otlpJson([chatSpan(), chatSpan({ model: 'claude-sonnet-4' })]) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({});
    expect((await runs()).map((r) => r.model).sort()).toEqual(['claude-sonnet-4', 'gpt-4o']);
  });

  it('stores a span an exporter sends again (a retry) once', async () => {
    const body = otlpProtobuf(otlpJson([chatSpan(), chatSpan()]));
    for (let i = 0; i < 3; i++) expect((await post(body, PROTOBUF)).status).toBe(200);
    expect(await runs()).toHaveLength(2);
    const stats = await app.request('/api/iris/stats/tokens', { key: project.key, headers: { 'cache-control': 'no-cache' } });
    expect(await stats.json()).toMatchObject({ totals: { runs: 2, inputTokens: 200, outputTokens: 40 } });
  });

  it('skips spans of no GenAI convention without rejecting them, and counts them', async () => {
    const http = { name: 'GET /health', attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } };
    const res = await post(otlpProtobuf(otlpJson([http, http, chatSpan()])), PROTOBUF);
    expect(res.status).toBe(200);
    expect(decodeResponse(await res.arrayBuffer())).toEqual({});
    expect(await runs()).toHaveLength(1);
    const metrics = await (await app.request('/api/metrics?format=prometheus')).text();
    expect(metrics).toMatch(/otlp_spans_total\{outcome="skipped",convention="none"\} \d+/);
  });

  it('answers partial success naming the spans it could not use, and stores the others', async () => {
    const bad = chatSpan({ spanId: 'aaaaaaaaaaaaaaaa', attributes: { 'gen_ai.usage.input_tokens': -5 } });
    const res = await app.request(PATH, { method: 'POST', key: project.key, json: otlpJson([bad, chatSpan()]) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(body.partialSuccess.rejectedSpans).toBe('1');
    expect(body.partialSuccess.errorMessage).toMatch(/span aaaaaaaaaaaaaaaa: gen_ai.usage.input_tokens must be a whole number/);
    expect(await runs()).toHaveLength(1);
  });

  it('rejects spans outside the backfill window as partial success', async () => {
    const old = chatSpan({ startMs: Date.now() - 401 * 24 * 3600 * 1000 });
    const future = chatSpan({ startMs: Date.now() + 3600_000 });
    const res = await app.request(PATH, { method: 'POST', key: project.key, json: otlpJson([old, future]) });
    expect(await res.json()).toMatchObject({ partialSuccess: { rejectedSpans: '2' } });
    expect(await runs()).toHaveLength(0);
  });

  it('counts an agent span and a tool span as runs without tokens, and gives the chat span inside the agent its agent', async () => {
    const traceId = randomTraceId();
    const agent = {
      traceId,
      spanId: randomSpanId(),
      name: 'invoke_agent Planner',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'Planner', 'gen_ai.usage.input_tokens': 100 },
    };
    const chat = chatSpan({ traceId, parentSpanId: agent.spanId });
    const tool = {
      traceId,
      parentSpanId: agent.spanId,
      name: 'execute_tool search',
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'search' },
    };
    expect((await post(otlpProtobuf(otlpJson([chat, tool, agent])), PROTOBUF)).status).toBe(200);
    const stored = await runs();
    expect(stored.map((r) => [r.model, r.agentId, r.inputTokens]).sort()).toEqual([
      ['agent:Planner', 'Planner', 0],
      ['gpt-4o', 'Planner', 100],
      ['tool:search', 'Planner', 0],
    ]);
  });

  it('answers an undecodable protobuf body with 400 and a google.rpc.Status, storing nothing', async () => {
    const before = await rowCounts(app.db);
    const res = await post(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTOBUF);
    expect(res.status).toBe(400);
    const { status } = otlpTypes();
    expect(status.toObject(status.decode(new Uint8Array(await res.arrayBuffer())))).toMatchObject({ code: 3 });
    expect(await rowCounts(app.db)).toEqual(before);
  });

  it('answers truncated gzip, malformed JSON and an empty JSON body with 400', async () => {
    const whole = gzip(otlpProtobuf(otlpJson([chatSpan()])));
    expect((await post(whole.subarray(0, whole.length - 10), { ...PROTOBUF, 'content-encoding': 'gzip' })).status).toBe(400);
    const json = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 3 });
    expect((await post('', { 'content-type': 'application/json' })).status).toBe(400);
  });

  it('answers a content type it does not speak, or an encoding other than gzip, with 415', async () => {
    expect((await post('x', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('x', {})).status).toBe(415);
    expect((await post(otlpProtobuf(otlpJson([chatSpan()])), { ...PROTOBUF, 'content-encoding': 'br' })).status).toBe(415);
  });

  it('answers a body over 4.5 MB, declared or streamed, and gzip that inflates past 32 MiB, with 413', async () => {
    const big = new Uint8Array(4_600_000);
    expect((await post(big, { ...PROTOBUF, 'content-length': String(big.length) })).status).toBe(413);
    const streamed = new ReadableStream({ start: (c) => (c.enqueue(big), c.close()) });
    expect((await app.request(PATH, { method: 'POST', key: project.key, headers: PROTOBUF, body: streamed, duplex: 'half' } as RequestInit)).status).toBe(413);
    const bomb = gzip(new Uint8Array(40 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(4_500_000);
    expect((await post(bomb, { ...PROTOBUF, 'content-encoding': 'gzip' })).status).toBe(413);
  });

  it('needs the project API key', async () => {
    expect((await post(otlpProtobuf(otlpJson([chatSpan()])), PROTOBUF, null)).status).toBe(401);
    expect((await post(otlpProtobuf(otlpJson([chatSpan()])), PROTOBUF, 'iris_sk_' + 'x'.repeat(43))).status).toBe(401);
  });

  it('answers 503 with Retry-After when the database is down, so exporters retry', async () => {
    const body = otlpProtobuf(otlpJson([chatSpan()]));
    chaos.set({ mode: 'fail', error: refused }, ['ingest_runs']);
    const res = await post(body, PROTOBUF);
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    chaos.set({ mode: 'pass' });
  });

  it('answers 429 with Retry-After once the key’s write limit is used up', async () => {
    const limited = await app.createProject(`OTLP limited ${crypto.randomUUID()}`, { rateLimit: { writesPerMinute: 1 } });
    const body = otlpProtobuf(otlpJson([chatSpan()]));
    expect((await post(body, PROTOBUF, limited.key)).status).toBe(200);
    const res = await post(body, PROTOBUF, limited.key);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('answers other methods with 405', async () => {
    expect((await app.request(PATH, { key: project.key })).status).toBe(405);
  });
});
