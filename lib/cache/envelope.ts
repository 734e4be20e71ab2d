import { fromBase64, gunzip, gzip, toBase64 } from './compression.js';

/**
 * One cached value with everything a reader needs to use it without any
 * recomputation: the serialised body, its ETag, its lifetimes and the
 * generation it was computed under. Times are epoch milliseconds.
 */
export interface Envelope {
  /** The serialised response body (JSON text), sent as is. */
  body: string;
  /** Strong ETag of `body`, computed once when stored. */
  etag: string;
  /** When the value was computed. */
  storedAt: number;
  /** Until when it is served as a hit. */
  freshUntil: number;
  /** Until when it is served at once while one refresh runs (stale-while-revalidate). */
  staleUntil: number;
  /** Until when it may be served when the compute fails (stale-if-error); also its KV expiry. */
  graceUntil: number;
  /** The KV generation of `(project, resource)` read before the compute started. */
  gen: number;
}

/** Options of `encodeEnvelope`. */
export interface EnvelopeOptions {
  /**
   * Bodies of at least this many UTF-16 code units are gzip-compressed (kept
   * only when that makes the stored string shorter).
   * @default 1024
   */
  compressMinChars?: number;
}

/** The envelope's metadata as stored; `enc` is present when the payload is base64 of gzip bytes. */
type Header = Omit<Envelope, 'body'> & { enc?: 'gzip' };

/**
 * Serialises an envelope for the KV as `<header JSON>\n<payload>`: the header
 * holds the metadata (JSON never contains a raw newline), the payload is the
 * body as is, or base64 of its gzip bytes when `enc` says so. Keeping the body
 * out of the JSON header means it is never escaped or parsed twice.
 * @example
 * '{"etag":"\"q3Zx…\"","storedAt":1700000000000,…,"gen":3}\n{"runs":12}'
 */
export async function encodeEnvelope(envelope: Envelope, options: EnvelopeOptions = {}): Promise<string> {
  const { body, ...meta } = envelope;
  const header: Header = meta;
  let payload = body;
  if (body.length >= (options.compressMinChars ?? 1024)) {
    const packed = toBase64(await gzip(body));
    if (packed.length < body.length) {
      payload = packed;
      header.enc = 'gzip';
    }
  }
  return `${JSON.stringify(header)}\n${payload}`;
}

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function isHeader(value: unknown): value is Header {
  if (typeof value !== 'object' || value === null) return false;
  const h = value as Record<string, unknown>;
  return (
    typeof h.etag === 'string' &&
    isTime(h.storedAt) &&
    isTime(h.freshUntil) &&
    isTime(h.staleUntil) &&
    isTime(h.graceUntil) &&
    Number.isSafeInteger(h.gen) &&
    (h.enc === undefined || h.enc === 'gzip')
  );
}

/**
 * Parses what `encodeEnvelope` wrote. Resolves null for anything else (a
 * truncated value, a foreign key, a corrupt gzip stream): the caller treats it
 * as a miss and counts it, never as an error.
 */
export async function decodeEnvelope(raw: string): Promise<Envelope | null> {
  const newline = raw.indexOf('\n');
  if (newline === -1) return null;
  let header: unknown;
  try {
    header = JSON.parse(raw.slice(0, newline));
  } catch {
    return null;
  }
  if (!isHeader(header)) return null;
  const payload = raw.slice(newline + 1);
  let body = payload;
  if (header.enc === 'gzip') {
    try {
      body = await gunzip(fromBase64(payload));
    } catch {
      return null;
    }
  }
  const { enc: _enc, ...meta } = header;
  return { ...meta, body };
}
