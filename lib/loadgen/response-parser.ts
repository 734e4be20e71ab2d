/**
 * Node-only (Buffer). An incremental HTTP/1.1 response parser (RFC 9112) for
 * the load generator's own client: one response per request, no pipelining.
 * It reads the status and headers, then skips the body by `Content-Length`,
 * chunked transfer coding, or until the connection closes, keeping at most a
 * few KiB of an error body so failures can be reported by their `code`.
 */

/** Options of a {@link ResponseParser}. */
export interface ResponseParserOptions {
  /**
   * Largest status line plus header block accepted.
   * @default 65536
   */
  maxHeaderBytes?: number;
  /**
   * Body bytes kept (as text) for responses with status >= 400; others keep none.
   * @default 4096
   */
  maxCapturedBodyBytes?: number;
}

/** A complete response. Header names are lower case; repeated headers are joined with `, `. */
export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  /** Body length after transfer decoding. */
  bodyBytes: number;
  /** The start of the body for error statuses, null otherwise. */
  body: string | null;
  /** Whether the connection may carry another request. */
  keepAlive: boolean;
}

/** A response the parser cannot read. */
export class HttpParseError extends Error {
  static readonly code = 'E_HTTP_PARSE';
  readonly code = HttpParseError.code;
  override readonly name = 'HttpParseError';
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'done';

export class ResponseParser {
  private readonly maxHeaderBytes: number;
  private readonly maxCaptured: number;
  private state: State = 'head';
  private pending: Buffer | null = null;
  private noBody = false;
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = true;
  private remaining = 0;
  private bodyBytes = 0;
  private captured: Buffer[] | null = null;
  private capturedBytes = 0;

  constructor(options: ResponseParserOptions = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 65_536;
    this.maxCaptured = options.maxCapturedBodyBytes ?? 4096;
  }

  /** Prepares for the response to a new request; `HEAD` responses have no body. */
  expect(method: string): void {
    this.state = 'head';
    this.pending = null;
    this.noBody = method === 'HEAD';
    this.status = 0;
    this.headers = {};
    this.keepAlive = true;
    this.remaining = 0;
    this.bodyBytes = 0;
    this.captured = null;
    this.capturedBytes = 0;
  }

  /** True once any byte of the current response arrived. */
  get started(): boolean {
    return this.state !== 'head' || this.pending !== null;
  }

  /**
   * Feeds bytes from the socket; returns the response once it is complete.
   * @throws HttpParseError on malformed input or bytes after the response.
   */
  push(chunk: Buffer): ParsedResponse | null {
    let data = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    while (data.length > 0) {
      if (this.state === 'done') throw new HttpParseError('bytes after the end of the response');
      data = this.step(data);
      if (this.pending !== null) return null;
    }
    return this.state === 'done' ? this.result() : null;
  }

  /**
   * The connection closed: completes a body delimited by the close, returns
   * null when the response was cut short (or never started).
   */
  end(): ParsedResponse | null {
    if (this.state === 'until-close') {
      this.state = 'done';
      this.keepAlive = false;
      return this.result();
    }
    return null;
  }

  /** Consumes from `data`; returns what is left. Sets `pending` when it needs more bytes first. */
  private step(data: Buffer): Buffer {
    switch (this.state) {
      case 'head': {
        const end = data.indexOf(HEAD_END);
        if (end === -1) {
          if (data.length > this.maxHeaderBytes) throw new HttpParseError('header block too large');
          this.pending = data;
          return data;
        }
        this.parseHead(data.toString('latin1', 0, end));
        return data.subarray(end + 4);
      }
      case 'length': {
        const take = Math.min(this.remaining, data.length);
        this.body(data.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'done';
        return data.subarray(take);
      }
      case 'until-close':
        this.body(data);
        return data.subarray(data.length);
      case 'chunk-size':
      case 'trailers': {
        const eol = data.indexOf(CRLF);
        if (eol === -1) {
          if (data.length > this.maxHeaderBytes) throw new HttpParseError('chunk header too long');
          this.pending = data;
          return data;
        }
        const line = data.toString('latin1', 0, eol);
        if (this.state === 'trailers') {
          if (line === '') this.state = 'done';
        } else {
          const size = Number.parseInt(line.split(';', 1)[0]!.trim(), 16);
          if (!Number.isSafeInteger(size) || size < 0) throw new HttpParseError(`bad chunk size "${line.slice(0, 20)}"`);
          this.remaining = size;
          this.state = size === 0 ? 'trailers' : 'chunk-data';
        }
        return data.subarray(eol + 2);
      }
      case 'chunk-data': {
        const take = Math.min(this.remaining, data.length);
        this.body(data.subarray(0, take));
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'chunk-end';
        return data.subarray(take);
      }
      case 'chunk-end': {
        if (data.length < 2) {
          this.pending = data;
          return data;
        }
        if (data[0] !== 13 || data[1] !== 10) throw new HttpParseError('chunk not followed by CRLF');
        this.state = 'chunk-size';
        return data.subarray(2);
      }
      case 'done':
        return data;
    }
  }

  private parseHead(head: string): void {
    // Status line: HTTP/1.x SSS [reason]
    const firstEol = head.indexOf('\r\n');
    const statusLine = firstEol === -1 ? head : head.slice(0, firstEol);
    const status = Number(statusLine.slice(9, 12));
    const minor = statusLine[7];
    const wellFormed =
      statusLine.startsWith('HTTP/1.') &&
      (minor === '0' || minor === '1') &&
      statusLine[8] === ' ' &&
      /^\d{3}$/.test(statusLine.slice(9, 12)) &&
      (statusLine.length === 12 || statusLine[12] === ' ');
    if (!wellFormed || status < 100) throw new HttpParseError(`bad status line "${statusLine.slice(0, 40)}"`);
    const headers: Record<string, string> = {};
    let pos = firstEol === -1 ? head.length : firstEol + 2;
    while (pos < head.length) {
      let eol = head.indexOf('\r\n', pos);
      if (eol === -1) eol = head.length;
      const colon = head.indexOf(':', pos);
      if (colon <= pos || colon > eol) throw new HttpParseError(`bad header line "${head.slice(pos, Math.min(eol, pos + 40))}"`);
      const name = head.slice(pos, colon).trim().toLowerCase();
      const value = head.slice(colon + 1, eol).trim();
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${previous}, ${value}`;
      pos = eol + 2;
    }
    // 1xx responses are interim (RFC 9110 §15.2): skip them and read on.
    if (status < 200) return;
    this.status = status;
    this.headers = headers;
    const connection = (headers['connection'] ?? '').toLowerCase();
    this.keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    if (status >= 400) this.captured = [];
    const transferEncoding = headers['transfer-encoding'];
    const contentLength = headers['content-length'];
    if (this.noBody || status === 204 || status === 304) {
      this.state = 'done';
    } else if (transferEncoding !== undefined && /(^|,)\s*chunked\s*$/i.test(transferEncoding)) {
      this.state = 'chunk-size';
    } else if (contentLength !== undefined) {
      const length = Number(contentLength);
      if (!Number.isSafeInteger(length) || length < 0) throw new HttpParseError(`bad Content-Length "${contentLength}"`);
      this.remaining = length;
      this.state = length === 0 ? 'done' : 'length';
    } else {
      this.state = 'until-close';
      this.keepAlive = false;
    }
  }

  private body(bytes: Buffer): void {
    this.bodyBytes += bytes.length;
    if (this.captured !== null && this.capturedBytes < this.maxCaptured) {
      const keep = bytes.subarray(0, this.maxCaptured - this.capturedBytes);
      this.captured.push(Buffer.from(keep));
      this.capturedBytes += keep.length;
    }
  }

  private result(): ParsedResponse {
    return {
      status: this.status,
      headers: this.headers,
      bodyBytes: this.bodyBytes,
      body: this.captured === null ? null : Buffer.concat(this.captured).toString('utf8'),
      keepAlive: this.keepAlive,
    };
  }
}
