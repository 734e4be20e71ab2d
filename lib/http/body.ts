import { badRequest, payloadTooLarge, requestAborted, unsupportedMediaType } from '../errors.js';

/** Limits applied to every JSON request body before it reaches a schema. */
export interface JsonBodyOptions {
  /** Largest accepted body. @default 1_048_576 (1 MiB) */
  maxBytes?: number;
  /** Deepest accepted nesting of arrays and objects. @default 32 */
  maxDepth?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1_048_576;
export const DEFAULT_MAX_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads and parses a JSON body with hard limits, in the order a client can act
 * on: 415 for a non-JSON content type, 413 for a body over `maxBytes` (from
 * `Content-Length` before reading, and again while streaming, so a lying or
 * chunked request cannot get past it), 400 for invalid UTF-8, nesting deeper
 * than `maxDepth`, or malformed JSON. A body whose stream fails (the client
 * aborted its upload) is a 400 `request_aborted`, never a 5xx.
 */
export async function readJsonBody(request: Request, options: JsonBodyOptions = {}): Promise<unknown> {
  if (!isJsonType(request)) throw unsupportedMediaType();
  const maxBytes = checkDeclaredLength(request, options);
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) throw badRequest('empty_body', 'The request body is empty; send a JSON document.');
  return parseJsonBytes(bytes, options);
}

/** Parses JSON bytes with the checks of {@link readJsonBody} (UTF-8, depth, syntax; each a 400). */
export function parseJsonBody(bytes: Uint8Array, options: JsonBodyOptions = {}): unknown {
  return parseJsonBytes(bytes, options);
}

/**
 * Reads the body of a request whose body is optional: an empty body (zero
 * bytes, however it is framed: `Content-Length: 0`, no length at all, or an
 * empty chunked body) is no body and resolves to `undefined`, whatever
 * `Content-Type` says. A body with bytes in it is held to everything
 * {@link readJsonBody} checks (415, 413, 400).
 *
 * Framing headers cannot decide this: curl sends neither `Content-Length` nor
 * `Content-Type` for a bare `-X POST`, and a Node server hands the route a
 * (empty) body stream all the same (RFC 9112 §6.3: such a request has a
 * zero-length body). Only the bytes can.
 * @example
 * const body = await readOptionalJsonBody(request); // undefined for `curl -X POST`
 */
export async function readOptionalJsonBody(request: Request, options: JsonBodyOptions = {}): Promise<unknown> {
  const maxBytes = checkDeclaredLength(request, options);
  const bytes = await readLimited(request, maxBytes);
  if (bytes.byteLength === 0) return undefined;
  if (!isJsonType(request)) throw unsupportedMediaType();
  return parseJsonBytes(bytes, options);
}

function isJsonType(request: Request): boolean {
  const type = request.headers.get('content-type');
  return type !== null && JSON_TYPE.test(type);
}

/** The body limit, after refusing a malformed `Content-Length` (400) or one over it (413) before reading. */
function checkDeclaredLength(request: Request, options: JsonBodyOptions): number {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) throw badRequest('invalid_content_length', 'Content-Length must be a whole number.');
    if (Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
  }
  return maxBytes;
}

/** UTF-8, then the depth limit (one scan, before any parsing), then JSON. */
function parseJsonBytes(bytes: Uint8Array, options: JsonBodyOptions): unknown {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest('invalid_utf8', 'The request body is not valid UTF-8.');
  }
  const depth = jsonDepth(text);
  if (depth > maxDepth) {
    throw badRequest('json_too_deep', `JSON nesting deeper than ${maxDepth} levels is not accepted.`, { maxDepth });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest('malformed_json', `The request body is not valid JSON: ${(error as Error).message.slice(0, 160)}`);
  }
}

/**
 * Reads a body of any type with the same limits as {@link readJsonBody}: 400
 * for a malformed `Content-Length`, 413 over `maxBytes` (declared or
 * streamed), 400 `request_aborted` when the stream fails. For routes that
 * decode bytes themselves (OTLP protobuf).
 */
export function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  return readLimited(request, checkDeclaredLength(request, { maxBytes }));
}

async function readLimited(request: Request, maxBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The body comes from the client: a stream that fails mid-way is a client that went away (or stalled past
      // the server's request timeout), not a server error (issue 11: aborted uploads were logged and counted as 500s).
      throw requestAborted();
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

/** The chunks of a stream as one array (`total` is their summed length); a single chunk is returned as it is. */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Maximum nesting depth of a JSON text, counted without parsing (brackets inside
 * strings are skipped). Runs before `JSON.parse` so hostile nesting costs one
 * linear scan and no allocation.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) depth--;
  }
  return max;
}
