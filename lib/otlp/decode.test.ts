import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { decodeJsonRequest, decodeProtobufRequest, OtlpDecodeError } from './decode.js';
import { exportResponseBody, errorBody } from './encoding.js';
import { otlpTypes } from './proto.js';

/** Spans as the OpenTelemetry JS SDK records them, serialized by its own OTLP serializers. */
function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'decode-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('iris-test', '1.0.0');
  const parent = tracer.startSpan('invoke_agent planner');
  {
    const chat = tracer.startSpan(
      'chat gpt-4o',
      {
        startTime: new Date('2026-11-30T10:00:00.000Z'),
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.usage.input_tokens': 1200,
          'gen_ai.request.temperature': 0.5,
          'gen_ai.response.finish_reasons': ['stop'],
          streaming: false,
        },
      },
      trace.setSpan(context.active(), parent),
    );
    chat.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    chat.recordException({ name: 'RateLimitError', message: 'slow down' });
    chat.end(new Date('2026-11-30T10:00:01.500Z'));
    parent.end();
  }
  return exporter.getFinishedSpans();
}

describe('decodeProtobufRequest', () => {
  it('reads what the OpenTelemetry JS SDK serializes: ids, times, attributes of every type, status, resource, scope', () => {
    const spans = sdkSpans();
    const decoded = decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(spans)!);
    const chat = decoded.find((s) => s.name === 'chat gpt-4o')!;
    const parent = decoded.find((s) => s.name === 'invoke_agent planner')!;
    const sdkChat = spans.find((s) => s.name === 'chat gpt-4o')!;
    expect(chat).toMatchObject({
      traceId: sdkChat.spanContext().traceId,
      spanId: sdkChat.spanContext().spanId,
      parentSpanId: parent.spanId,
      kind: 1,
      startMs: Date.parse('2026-11-30T10:00:00.000Z'),
      endMs: Date.parse('2026-11-30T10:00:01.500Z'),
      statusCode: 2,
      statusMessage: 'boom',
      exceptionType: 'RateLimitError',
      scopeName: 'iris-test',
      scopeVersion: '1.0.0',
    });
    expect({ ...chat.attributes }).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.finish_reasons': ['stop'],
      streaming: false,
    });
    expect(chat.resource['service.name']).toBe('decode-test');
    expect(parent.parentSpanId).toBe('');
  });

  it('reads the same spans from the SDK’s JSON encoding', () => {
    const spans = sdkSpans();
    const fromProto = decodeProtobufRequest(ProtobufTraceSerializer.serializeRequest(spans)!);
    const fromJson = decodeJsonRequest(JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans))));
    expect(fromJson.map((s) => ({ ...s, attributes: { ...s.attributes }, resource: { ...s.resource } }))).toEqual(
      fromProto.map((s) => ({ ...s, attributes: { ...s.attributes }, resource: { ...s.resource } })),
    );
  });

  it('refuses bytes that are not an ExportTraceServiceRequest', () => {
    expect(() => decodeProtobufRequest(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(OtlpDecodeError);
    expect(() => decodeProtobufRequest(new TextEncoder().encode('{"resourceSpans":[]}'))).toThrow(OtlpDecodeError);
  });

  it('reads an empty body as a request with no spans', () => {
    expect(decodeProtobufRequest(new Uint8Array(0))).toEqual([]);
  });
});

describe('decodeJsonRequest', () => {
  it('accepts int64 as strings or numbers, snake_case keys, and ignores unknown fields', () => {
    const [span] = decodeJsonRequest({
      resource_spans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'py' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  span_id: 'EEE19B7EC3C1B174',
                  name: 'chat',
                  startTimeUnixNano: '1764496800000000000',
                  endTimeUnixNano: 1764496801000000000,
                  attributes: [
                    { key: 'n', value: { intValue: '42' } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'a', value: { boolValue: true } }] } } },
                    { key: 'junk', value: { unknownValue: 1 } },
                  ],
                  somethingNew: { x: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(span).toMatchObject({ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174', startMs: 1764496800000, endMs: 1764496801000 });
    expect({ ...span!.attributes }).toEqual({ n: 42, kv: { a: true }, junk: null });
  });

  it('keeps a malformed id as empty, for the mapping to reject', () => {
    const [span] = decodeJsonRequest({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', spanId: 'AAAAAAAAAAA=' }] }] }] });
    expect(span).toMatchObject({ traceId: '', spanId: '' });
  });

  it('refuses a body that is not an object', () => {
    expect(() => decodeJsonRequest([1, 2])).toThrow(OtlpDecodeError);
  });
});

describe('response bodies', () => {
  it('writes partial success in both encodings, and nothing for full success', () => {
    expect(exportResponseBody('json', 0, '')).toBe('{}');
    expect(JSON.parse(exportResponseBody('json', 2, 'why') as string)).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'why' } });
    const { response } = otlpTypes();
    expect(response.toObject(response.decode(exportResponseBody('protobuf', 2, 'why') as Uint8Array), { longs: Number })).toEqual({
      partialSuccess: { rejectedSpans: 2, errorMessage: 'why' },
    });
    expect((exportResponseBody('protobuf', 0, '') as Uint8Array).byteLength).toBe(0);
  });

  it('writes errors as google.rpc.Status', () => {
    expect(JSON.parse(errorBody('json', 400, 'bad') as string)).toEqual({ code: 3, message: 'bad' });
    const { status } = otlpTypes();
    expect(status.toObject(status.decode(errorBody('protobuf', 503, 'later') as Uint8Array))).toEqual({ code: 14, message: 'later' });
  });
});
