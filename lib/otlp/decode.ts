import type protobuf from 'protobufjs';
import { otlpTypes } from './proto.js';

/**
 * Decoding of an OTLP/HTTP `ExportTraceServiceRequest`
 * (https://opentelemetry.io/docs/specs/otlp/#otlphttp) in either encoding
 * into one flat list of spans, each with its resource and scope. Pure: bytes
 * or parsed JSON in, spans out, or an `OtlpDecodeError` (a 400: exporters do
 * not retry it).
 *
 * The JSON encoding is the Protobuf JSON mapping with the OTLP exceptions:
 * `traceId`/`spanId` are hex, enums are integers, int64 may be a string or a
 * number, and unknown fields are ignored. Keys are lowerCamelCase; the
 * original snake_case names are accepted too, as the JSON mapping allows.
 */

/** An attribute value as OTLP's `AnyValue` carries it, in JavaScript terms. */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface OtlpSpan {
  /** 32 lower-case hex digits; '' when missing or malformed (the mapping rejects such a span). */
  traceId: string;
  /** 16 lower-case hex digits; '' when missing or malformed. */
  spanId: string;
  /** 16 hex digits, or '' for a root span. */
  parentSpanId: string;
  name: string;
  /** `Span.SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Start and end, in ms since the epoch (from `*_time_unix_nano`); NaN when unreadable. */
  startMs: number;
  endMs: number;
  attributes: Attributes;
  /** `Status.StatusCode`: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  statusMessage: string;
  /** `exception.type` of the span's first `exception` event, if any. */
  exceptionType: string | undefined;
  resource: Attributes;
  scopeName: string;
  scopeVersion: string;
}

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

/** How deep nested attribute values are kept; deeper ones become null (an absurd value costs nothing). */
export const MAX_VALUE_DEPTH = 8;

const HEX = /^[0-9a-f]*$/;

function hexOf(bytes: Uint8Array | undefined, length: number): string {
  if (!bytes || bytes.length !== length) return '';
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return out;
}

function hexString(value: unknown, length: number): string {
  if (typeof value !== 'string') return '';
  const lower = value.toLowerCase();
  return lower.length === length * 2 && HEX.test(lower) ? lower : '';
}

/** A protobufjs Long (fixed64, int64), a number, or a decimal string, as a number (nanoseconds lose sub-µs precision, harmlessly). */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value) ? Number(value) : NaN;
  if (value !== null && typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') {
    return (value as { toNumber(): number }).toNumber();
  }
  return NaN;
}

const nanosToMs = (value: unknown): number => (value === undefined || value === null ? NaN : toNumber(value) / 1e6);

// ---------------------------------------------------------------- protobuf --

interface PbAnyValue {
  value?: string;
  stringValue?: string;
  boolValue?: boolean;
  intValue?: unknown;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: Uint8Array;
}
interface PbKeyValue {
  key?: string;
  value?: PbAnyValue;
}
interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: string;
  kind?: number;
  startTimeUnixNano?: unknown;
  endTimeUnixNano?: unknown;
  attributes?: PbKeyValue[];
  events?: { name?: string; attributes?: PbKeyValue[] }[];
  status?: { code?: number; message?: string };
}
interface PbRequest {
  resourceSpans?: {
    resource?: { attributes?: PbKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: PbSpan[] }[];
  }[];
}

function pbValue(value: PbAnyValue | undefined, depth: number): AttributeValue {
  if (!value || depth > MAX_VALUE_DEPTH) return null;
  // protobufjs names the set member of the `value` oneof in the virtual `value` property.
  switch (value.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'intValue':
      return toNumber(value.intValue);
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'arrayValue':
      return (value.arrayValue?.values ?? []).map((v) => pbValue(v, depth + 1));
    case 'kvlistValue':
      return pbAttributes(value.kvlistValue?.values, depth + 1);
    case 'bytesValue':
      // Base64, as the JSON mapping writes bytes; only the first KiB (no mapping reads bytes).
      return value.bytesValue ? btoa(String.fromCharCode(...value.bytesValue.subarray(0, 1024))) : '';
    default:
      return null;
  }
}

function pbAttributes(list: PbKeyValue[] | undefined, depth = 0): Attributes {
  const out: Attributes = Object.create(null) as Attributes;
  if (!list) return out;
  for (const kv of list) if (kv.key) out[kv.key] = pbValue(kv.value, depth);
  return out;
}

function exceptionTypeOf(events: { name?: string; attributes?: unknown }[] | undefined, read: (a: unknown) => Attributes): string | undefined {
  const event = events?.find((e) => e.name === 'exception');
  const type = event ? read(event.attributes)['exception.type'] : undefined;
  return typeof type === 'string' && type.length > 0 ? type : undefined;
}

/** Decodes an `application/x-protobuf` body. */
export function decodeProtobufRequest(bytes: Uint8Array): OtlpSpan[] {
  let message: protobuf.Message;
  try {
    message = otlpTypes().request.decode(bytes);
  } catch (error) {
    // Truncated, wrong wire types, nesting too deep for the stack: the body is not an ExportTraceServiceRequest.
    throw new OtlpDecodeError(`The body is not a protobuf ExportTraceServiceRequest: ${String((error as Error).message).slice(0, 160)}`);
  }
  const request = message as unknown as PbRequest;
  const spans: OtlpSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = pbAttributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scopeName = ss.scope?.name ?? '';
      const scopeVersion = ss.scope?.version ?? '';
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hexOf(s.traceId, 16),
          spanId: hexOf(s.spanId, 8),
          parentSpanId: hexOf(s.parentSpanId, 8),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: pbAttributes(s.attributes),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message ?? '',
          exceptionType: exceptionTypeOf(s.events, (a) => pbAttributes(a as PbKeyValue[] | undefined)),
          resource,
          scopeName,
          scopeVersion,
        });
      }
    }
  }
  return spans;
}

// -------------------------------------------------------------------- JSON --

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A field under its lowerCamelCase name or its original proto name. */
function field(object: JsonObject, camel: string, snake: string): unknown {
  return Object.hasOwn(object, camel) ? object[camel] : Object.hasOwn(object, snake) ? object[snake] : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function jsonValue(value: unknown, depth: number): AttributeValue {
  if (!isObject(value) || depth > MAX_VALUE_DEPTH) return null;
  let v: unknown;
  if ((v = field(value, 'stringValue', 'string_value')) !== undefined) return typeof v === 'string' ? v : null;
  if ((v = field(value, 'boolValue', 'bool_value')) !== undefined) return typeof v === 'boolean' ? v : null;
  if ((v = field(value, 'intValue', 'int_value')) !== undefined) return toNumber(v);
  if ((v = field(value, 'doubleValue', 'double_value')) !== undefined) {
    // The JSON mapping writes the non-finite doubles as strings.
    return typeof v === 'number' ? v : v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? Number(v) : null;
  }
  if ((v = field(value, 'arrayValue', 'array_value')) !== undefined) {
    return isObject(v) ? list(v.values).map((item) => jsonValue(item, depth + 1)) : null;
  }
  if ((v = field(value, 'kvlistValue', 'kvlist_value')) !== undefined) return isObject(v) ? jsonAttributes(v.values, depth + 1) : null;
  if ((v = field(value, 'bytesValue', 'bytes_value')) !== undefined) return typeof v === 'string' ? v : null;
  return null;
}

function jsonAttributes(value: unknown, depth = 0): Attributes {
  const out: Attributes = Object.create(null) as Attributes;
  for (const kv of list(value)) {
    if (isObject(kv) && typeof kv.key === 'string' && kv.key) out[kv.key] = jsonValue(kv.value, depth);
  }
  return out;
}

function int(value: unknown): number {
  const n = toNumber(value);
  return Number.isInteger(n) ? n : 0;
}

/** Decodes a parsed `application/json` body. */
export function decodeJsonRequest(body: unknown): OtlpSpan[] {
  if (!isObject(body)) throw new OtlpDecodeError('The body is not a JSON ExportTraceServiceRequest: expected an object with "resourceSpans".');
  const spans: OtlpSpan[] = [];
  for (const rs of list(field(body, 'resourceSpans', 'resource_spans'))) {
    if (!isObject(rs)) continue;
    const resourceObject = rs.resource;
    const resource = jsonAttributes(isObject(resourceObject) ? resourceObject.attributes : undefined);
    for (const ss of list(field(rs, 'scopeSpans', 'scope_spans'))) {
      if (!isObject(ss)) continue;
      const scope = isObject(ss.scope) ? ss.scope : {};
      for (const s of list(ss.spans)) {
        if (!isObject(s)) continue;
        const status = isObject(s.status) ? s.status : {};
        spans.push({
          traceId: hexString(field(s, 'traceId', 'trace_id'), 16),
          spanId: hexString(field(s, 'spanId', 'span_id'), 8),
          parentSpanId: hexString(field(s, 'parentSpanId', 'parent_span_id'), 8),
          name: str(s.name),
          kind: int(s.kind),
          startMs: nanosToMs(field(s, 'startTimeUnixNano', 'start_time_unix_nano')),
          endMs: nanosToMs(field(s, 'endTimeUnixNano', 'end_time_unix_nano')),
          attributes: jsonAttributes(s.attributes),
          statusCode: int(status.code),
          statusMessage: str(status.message),
          exceptionType: exceptionTypeOf(list(s.events).filter(isObject), (a) => jsonAttributes(a)),
          resource,
          scopeName: str(scope.name),
          scopeVersion: str(scope.version),
        });
      }
    }
  }
  return spans;
}
