/**
 * Node-only (node:net, node:tls). The load generator's HTTP/1.1 client: one
 * keep-alive connection per virtual user, requests written as prepared bytes
 * straight to the socket and responses read by {@link ResponseParser}. This is
 * what autocannon does too, and it keeps the tool's own overhead well below
 * node:http's (see `npm run bench:loadgen`).
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { HttpParseError, ResponseParser, type ParsedResponse } from './response-parser.js';

/** Where requests go and how long they may take. */
export interface HttpClientOptions {
  /** Origin of the target, e.g. `http://127.0.0.1:3000` or `https://iris-git-x.vercel.app`. */
  baseUrl: string;
  /**
   * A request with no complete response after this long fails with reason `timeout`.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Verify the server's TLS certificate.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /** Headers sent with every request (authorization, bypass secrets). Names are sent as given. */
  headers?: Record<string, string>;
  /**
   * `User-Agent` sent with every request.
   * @default 'iris-loadgen/1'
   */
  userAgent?: string;
}

/** A request serialised once and sent as often as needed. */
export interface PreparedRequest {
  method: string;
  path: string;
  /** The request line, headers and body. */
  bytes: Buffer;
}

/** What one request came to. `status` is 0 when no response arrived. */
export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  bodyBytes: number;
  /** The start of an error body (status >= 400), else null. */
  body: string | null;
  /** Why no response arrived: `timeout`, `interrupted`, `parse_error`, or a socket error code such as `ECONNREFUSED`. */
  error: string | null;
  /** performance.now() when the request was written (or the connection opened for it). */
  sentAt: number;
  /** performance.now() when the response completed or the request failed. */
  endedAt: number;
}

interface Origin {
  secure: boolean;
  host: string;
  port: number;
  hostHeader: string;
}

function parseOrigin(baseUrl: string): Origin {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`HttpClientOptions.baseUrl must be an http(s) URL, got ${baseUrl}`);
  }
  const secure = url.protocol === 'https:';
  return {
    secure,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    hostHeader: url.host,
  };
}

/** Serialises requests for one target; shared by all its connections. */
export class RequestBuilder {
  private readonly common: string;
  /** Path of the base URL, put before every request path (`https://host/prefix`). */
  private readonly prefix: string;

  constructor(options: HttpClientOptions) {
    const origin = parseOrigin(options.baseUrl);
    this.prefix = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
    let common = `host: ${origin.hostHeader}\r\nuser-agent: ${options.userAgent ?? 'iris-loadgen/1'}\r\naccept: application/json\r\n`;
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (/[\r\n]/.test(name + value)) throw new TypeError(`HttpClientOptions.headers: "${name}" contains a line break`);
      common += `${name}: ${value}\r\n`;
    }
    this.common = common;
  }

  /** A request with `extraHeaders` on top of the common ones; a string body is sent as JSON. */
  build(method: string, path: string, body?: string, extraHeaders?: Record<string, string>): PreparedRequest {
    let head = `${method} ${this.prefix}${path} HTTP/1.1\r\n${this.common}`;
    for (const [name, value] of Object.entries(extraHeaders ?? {})) head += `${name}: ${value}\r\n`;
    const payload = body === undefined ? null : Buffer.from(body, 'utf8');
    if (payload !== null) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
    else if (method !== 'GET' && method !== 'HEAD') head += 'content-length: 0\r\n';
    head += '\r\n';
    const bytes = payload === null ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), payload]);
    return { method, path, bytes };
  }
}

type Resolve = (result: HttpResult) => void;

/**
 * One keep-alive connection that carries one request at a time. It connects
 * on first use and again after the server closes it; a request that fails on a
 * reused connection before any response byte arrived (the server closed an
 * idle socket) is retried once on a fresh one, as browsers and undici do.
 */
export class HttpConnection {
  private readonly origin: Origin;
  private readonly timeoutMs: number;
  private readonly rejectUnauthorized: boolean;
  private readonly parser = new ResponseParser();
  private socket: Socket | null = null;
  /** Responses completed on the current socket. */
  private served = 0;
  private request: PreparedRequest | null = null;
  private resolve: Resolve | null = null;
  private sentAt = 0;
  private retried = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: HttpClientOptions) {
    this.origin = parseOrigin(options.baseUrl);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.rejectUnauthorized = options.rejectUnauthorized ?? true;
  }

  /** True while a request is in flight. */
  get busy(): boolean {
    return this.resolve !== null;
  }

  /** Sends `request`; never rejects (failures come back with `error` set). */
  send(request: PreparedRequest): Promise<HttpResult> {
    if (this.resolve !== null) throw new Error('HttpConnection.send: a request is already in flight');
    return new Promise<HttpResult>((resolve) => {
      if (this.closed) {
        const now = performance.now();
        resolve(failure('interrupted', now, now));
        return;
      }
      this.request = request;
      this.resolve = resolve;
      this.retried = false;
      this.sentAt = performance.now();
      this.armTimer();
      this.write();
    });
  }

  /** Closes the connection; a request in flight completes with reason `interrupted`. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.finish(failure('interrupted', this.sentAt, performance.now()));
    this.dropSocket();
  }

  private write(): void {
    const request = this.request!;
    this.parser.expect(request.method);
    (this.socket ?? this.open()).write(request.bytes);
  }

  private open(): Socket {
    const { host, port, secure } = this.origin;
    const socket = secure
      ? tlsConnect({ host, port, servername: isIP(host) === 0 ? host : undefined, ALPNProtocols: ['http/1.1'], rejectUnauthorized: this.rejectUnauthorized })
      : netConnect({ host, port });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.onBroken(socket, error.code ?? error.message));
    socket.on('close', () => this.onBroken(socket, 'ECONNRESET'));
    this.socket = socket;
    this.served = 0;
    return socket;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    if (this.resolve === null) {
      // Bytes nobody asked for: the connection is out of step; start over on the next request.
      this.dropSocket();
      return;
    }
    let response;
    try {
      response = this.parser.push(chunk);
    } catch (error) {
      this.dropSocket();
      this.finish(failure(error instanceof HttpParseError ? 'parse_error' : 'client_error', this.sentAt, performance.now()));
      return;
    }
    if (response === null) return;
    this.served += 1;
    if (!response.keepAlive) this.dropSocket();
    this.finish(success(response, this.sentAt));
  }

  private onBroken(socket: Socket, reason: string): void {
    if (socket !== this.socket) return;
    const response = this.resolve === null ? null : this.parser.end();
    const reusedAndUntouched = this.served > 0 && !this.parser.started;
    this.dropSocket();
    if (this.resolve === null) return;
    if (response !== null) {
      this.finish(success(response, this.sentAt));
    } else if (reusedAndUntouched && !this.retried && !this.closed) {
      this.retried = true;
      this.write();
    } else {
      this.finish(failure(reason, this.sentAt, performance.now()));
    }
  }

  private armTimer(): void {
    if (this.timer === null) {
      this.timer = setTimeout(() => this.onTimeout(), this.timeoutMs);
      this.timer.unref();
    } else {
      this.timer.refresh();
    }
  }

  private onTimeout(): void {
    if (this.resolve === null) return;
    const elapsed = performance.now() - this.sentAt;
    if (elapsed < this.timeoutMs) {
      // The timer was armed for an earlier request; wait for the rest of this one's time.
      this.timer = setTimeout(() => this.onTimeout(), this.timeoutMs - elapsed);
      this.timer.unref();
      return;
    }
    this.dropSocket();
    this.finish(failure('timeout', this.sentAt, performance.now()));
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }

  private finish(result: HttpResult): void {
    const resolve = this.resolve;
    if (resolve === null) return;
    this.resolve = null;
    this.request = null;
    resolve(result);
  }
}

function success(response: ParsedResponse, sentAt: number): HttpResult {
  return {
    status: response.status,
    headers: response.headers,
    bodyBytes: response.bodyBytes,
    body: response.body,
    error: null,
    sentAt,
    endedAt: performance.now(),
  };
}

function failure(reason: string, sentAt: number, endedAt: number): HttpResult {
  return { status: 0, headers: {}, bodyBytes: 0, body: null, error: reason, sentAt, endedAt };
}
