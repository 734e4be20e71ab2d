/**
 * OTLP request bodies for route tests and the benchmark: spans written in the
 * OTLP JSON shape, and the same request as protobuf (encoded with Iris's
 * schema, which lib/otlp/decode.test.ts checks against the SDK's serializer).
 */
import { gzipSync } from 'node:zlib';
import { otlpTypes } from '../../lib/otlp/index.js';

export type JsonAttributeValue = { stringValue: string } | { intValue: string | number } | { doubleValue: number } | { boolValue: boolean };

export interface TestSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  /** Start, in ms since the epoch. @default 60 s ago */
  startMs?: number;
  durationMs?: number;
  attributes?: Record<string, string | number | boolean>;
  status?: { code: number; message?: string };
}

const hex = (bytes: number) => Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
export const randomTraceId = () => hex(16);
export const randomSpanId = () => hex(8);

function value(v: string | number | boolean): JsonAttributeValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

/** An ExportTraceServiceRequest in OTLP JSON (hex ids, int64 as strings). */
export function otlpJson(spans: TestSpan[], resource: Record<string, string> = { 'service.name': 'test-agent' }) {
  const now = Date.now();
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resource).map(([key, v]) => ({ key, value: value(v) })) },
        scopeSpans: [
          {
            scope: { name: 'iris-test', version: '1' },
            spans: spans.map((s) => {
              const start = s.startMs ?? now - 60_000;
              return {
                traceId: s.traceId ?? randomTraceId(),
                spanId: s.spanId ?? randomSpanId(),
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name ?? 'chat',
                kind: 3,
                startTimeUnixNano: `${start}000000`,
                endTimeUnixNano: `${start + (s.durationMs ?? 250)}000000`,
                attributes: Object.entries(s.attributes ?? {}).map(([key, v]) => ({ key, value: value(v) })),
                ...(s.status ? { status: s.status } : {}),
              };
            }),
          },
        ],
      },
    ],
  };
}

const bytesOf = (hexString: string) => Uint8Array.from(hexString.match(/../g) ?? [], (h) => parseInt(h, 16));

/** The same request as protobuf bytes. */
export function otlpProtobuf(request: ReturnType<typeof otlpJson>): Uint8Array {
  const converted = {
    resourceSpans: request.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.map((s) => ({
          ...s,
          traceId: bytesOf(s.traceId),
          spanId: bytesOf(s.spanId),
          ...('parentSpanId' in s && s.parentSpanId ? { parentSpanId: bytesOf(s.parentSpanId) } : {}),
        })),
      })),
    })),
  };
  const { request: type } = otlpTypes();
  return type.encode(type.fromObject(converted)).finish();
}

export const gzip = (bytes: Uint8Array | string) => new Uint8Array(gzipSync(bytes));

/** A GenAI chat span (current semantic conventions). */
export function chatSpan(overrides: TestSpan & { model?: string; input?: number; output?: number } = {}): TestSpan {
  const { model = 'gpt-4o', input = 100, output = 20, attributes, ...rest } = overrides;
  return {
    name: `chat ${model}`,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': model,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
      ...attributes,
    },
    ...rest,
  };
}
