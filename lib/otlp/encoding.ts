import { HttpError } from '../errors.js';
import { concatBytes } from '../http/index.js';
import { otlpTypes } from './proto.js';

/**
 * The HTTP side of OTLP/HTTP (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 * which encoding a request uses, its gzip body, and the response bodies in
 * the request's encoding. Pure apart from the Web-standard DecompressionStream.
 */

export type OtlpEncoding = 'protobuf' | 'json';

export const CONTENT_TYPES: Record<OtlpEncoding, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The largest body Vercel passes to a function (4.5 MB): larger ones are a 413 before any work. */
export const MAX_OTLP_BODY_BYTES = 4_500_000;
/** The largest body after gzip: a 4.5 MB body that inflates past it (a zip bomb) is a 413 too. */
export const MAX_OTLP_DECODED_BYTES = 32 * 1024 * 1024;

const PROTOBUF_TYPE = /^application\/(?:x-)?protobuf\s*(?:;|$)/i;
const JSON_TYPE = /^application\/json\s*(?:;|$)/i;

/** The encoding `Content-Type` names, or undefined for any other type (a 415). */
export function encodingOf(contentType: string | null): OtlpEncoding | undefined {
  if (contentType === null) return undefined;
  if (PROTOBUF_TYPE.test(contentType)) return 'protobuf';
  if (JSON_TYPE.test(contentType)) return 'json';
  return undefined;
}

/** True for `gzip`, false for none or `identity`; any other coding is a 415 (RFC 9110 §15.5.16). */
export function isGzip(contentEncoding: string | null): boolean {
  const coding = (contentEncoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return false;
  if (coding === 'gzip' || coding === 'x-gzip') return true;
  throw new HttpError(415, 'unsupported_content_encoding', `Content-Encoding "${coding.slice(0, 40)}" is not supported; send gzip or no encoding.`, {
    headers: { 'Accept-Encoding': 'gzip' },
  });
}

/**
 * Inflates a gzip body, refusing output past `maxBytes` (413) as it streams;
 * a truncated or corrupt stream is a 400.
 */
export async function gunzip(bytes: Uint8Array, maxBytes = MAX_OTLP_DECODED_BYTES): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError(413, 'payload_too_large', `The gzip body inflates past ${maxBytes} bytes.`, { details: { maxDecodedBytes: maxBytes } });
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'invalid_gzip', 'The body is not a complete gzip stream (Content-Encoding: gzip).');
  }
  return concatBytes(chunks, total);
}

/**
 * The body of a 200: an empty `ExportTraceServiceResponse` when every span was
 * used, else `partial_success` with how many spans were rejected and why.
 */
export function exportResponseBody(encoding: OtlpEncoding, rejectedSpans: number, errorMessage: string): Uint8Array | string {
  if (encoding === 'json') {
    // int64 as a string, as the Protobuf JSON mapping writes it.
    return JSON.stringify(rejectedSpans > 0 ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } } : {});
  }
  const { response } = otlpTypes();
  const message = rejectedSpans > 0 ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
  return response.encode(response.create(message)).finish();
}

/** The gRPC code (google.rpc.Code) an HTTP status corresponds to, for the error body's `code`. */
export function grpcCode(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 404) return 5; // NOT_FOUND
  if (status === 409) return 6; // ALREADY_EXISTS
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}

/** An error body as OTLP/HTTP asks: a `google.rpc.Status` in the request's encoding. */
export function errorBody(encoding: OtlpEncoding, status: number, message: string): Uint8Array | string {
  const code = grpcCode(status);
  if (encoding === 'json') return JSON.stringify({ code, message });
  const { status: type } = otlpTypes();
  return type.encode(type.create({ code, message })).finish();
}

/**
 * A run id that is the same for the same span of the same project: a UUID
 * (version 8, RFC 9562 §5.8) made of SHA-256 over project, trace and span id.
 * An exporter's retry of a span is then a duplicate Iris skips, and two
 * projects sending one trace never collide.
 */
export function spanRunId(sha256Hex: string): string {
  const h = sha256Hex.slice(0, 32).split('');
  h[12] = '8';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
