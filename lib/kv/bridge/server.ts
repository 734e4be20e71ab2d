import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toOutcome, type CommandOutcome } from './encoding.js';
import { parseRedisUrl, RedisConnection } from './redis-connection.js';
import { RespError, type RespReply } from './resp.js';
import { ScriptRegistry } from './scripts.js';

/**
 * A local stand-in for Upstash: an HTTP server speaking the Upstash REST
 * protocol in front of a real redis-server, like Upstash's SRH
 * (serverless-redis-http). Node-only; for development and tests, not production.
 *
 * - `POST /` with a JSON array command -> `{ result }`, or 400 `{ error }`.
 * - `POST /pipeline` with an array of commands -> 200 `[{ result } | { error }]`.
 * - `POST /multi-exec`: the same, run atomically; 400 `{ error }` when Redis
 *   refuses a command while queueing (EXECABORT).
 * - `GET /set/foo/bar` path-style commands; with POST/PUT the raw body is
 *   appended as the last argument, then query parameters as `NAME value`.
 * - `Authorization: Bearer <token>` (or `?_token=`), else 401.
 * - `Upstash-Encoding: base64` answers strings base64-encoded (see encoding.ts).
 * - Redis unreachable: 500 `{ error }`.
 */

export type KvBridgeOptions = {
  /** Token clients must present as `Authorization: Bearer <token>`. */
  token: string;
  /**
   * TCP port to listen on; 0 picks a free one (read it from `KvBridge.url`).
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Test-only fault injection: wait this long before handling each request, to
   * stand in for a slow Redis. Also settable on the running bridge.
   * @default 0
   */
  delayMs?: number;
  /**
   * Largest request body accepted; beyond it the answer is 413.
   * @default 67_108_864 (64 MiB)
   */
  maxBodyBytes?: number;
} & (
  | {
      /** `redis://[[user]:password@]host[:port][/db]` of the Redis server to front. */
      redisUrl: string;
      redisPort?: never;
    }
  | {
      /** Port of a Redis server on 127.0.0.1 to front (instead of `redisUrl`). */
      redisPort: number;
      redisUrl?: never;
    }
);

export interface KvBridge {
  /** Base URL to give @upstash/redis, e.g. `http://127.0.0.1:8079`. */
  readonly url: string;
  readonly port: number;
  /** Delay added before each request (test-only); change it to slow the bridge down on demand. */
  delayMs: number;
  /** Stops listening, drops open HTTP connections and the Redis connection. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Commands that change or depend on connection state, or block it. All
 * requests share one Redis connection, so they are refused (transactions go
 * through /multi-exec instead).
 */
const REFUSED = new Set([
  'auth', 'hello', 'select', 'swapdb', 'reset', 'quit', 'client',
  'multi', 'exec', 'discard', 'watch', 'unwatch',
  'subscribe', 'psubscribe', 'ssubscribe', 'unsubscribe', 'punsubscribe', 'sunsubscribe',
  'monitor', 'sync', 'psync', 'replicaof', 'slaveof',
  'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop', 'wait', 'waitaof',
]);

class Problem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function refusal(args: readonly string[]): string | null {
  const name = (args[0] ?? '').toLowerCase();
  const blockingRead = (name === 'xread' || name === 'xreadgroup') && args.some((a) => a.toLowerCase() === 'block');
  if (!REFUSED.has(name) && !blockingRead) return null;
  return `ERR command '${name}' is not supported by the kv bridge`;
}

/** A command from JSON: a non-empty array of strings, numbers or booleans (@upstash/redis sends all three). */
function commandFromJson(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new Problem(400, 'ERR a command must be a non-empty JSON array');
  return value.map((arg: unknown) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' || typeof arg === 'boolean') return String(arg);
    throw new Problem(400, 'ERR command arguments must be strings, numbers or booleans');
  });
}

function commandsFromJson(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) throw new Problem(400, 'ERR a pipeline must be a non-empty JSON array of commands');
  return value.map(commandFromJson);
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new Problem(400, 'ERR failed to parse the request body as JSON');
  }
}

/** `/set/foo/bar?EX=10` -> `['set', 'foo', 'bar', 'EX', '10']`, with a POST body before the query. */
function commandFromPath(pathname: string, body: string | null, query: URLSearchParams): string[] {
  let args: string[];
  try {
    args = pathname.slice(1).split('/').map(decodeURIComponent);
  } catch {
    throw new Problem(400, 'ERR malformed percent-encoding in the path');
  }
  if (body !== null && body !== '') args.push(body);
  for (const [name, value] of query) {
    if (name === '_token') continue;
    args.push(name);
    if (value !== '') args.push(value);
  }
  return args;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Problem(413, `ERR request body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Starts the bridge. Redis is connected on the first command and reconnected
 * after a drop, so the bridge may start before Redis does.
 * @throws TypeError naming the option when the token or Redis address is unusable.
 * @example
 * const bridge = await startKvBridge({ redisPort: 6379, token: 'local-token' });
 * const redis = new Redis({ url: bridge.url, token: 'local-token' });
 */
export async function startKvBridge(options: KvBridgeOptions): Promise<KvBridge> {
  if (options.token.trim() === '') throw new TypeError('KvBridgeOptions.token must not be empty');
  const address = options.redisUrl !== undefined ? parseRedisUrl(options.redisUrl) : { host: '127.0.0.1', port: options.redisPort };
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    throw new TypeError(`KvBridgeOptions: Redis port must be 1-65535, got ${address.port}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const host = options.host ?? '127.0.0.1';
  const expectedToken = digest(options.token);
  const redis = new RedisConnection(address);
  const scripts = new ScriptRegistry();
  const sleeping = new Set<() => void>();
  let closed = false;

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleeping.add(wake);
    });
  }

  function authorized(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : url.searchParams.get('_token');
    return token !== null && token !== '' && timingSafeEqual(digest(token), expectedToken);
  }

  /** Runs commands in one batch; refused ones answer an error without reaching Redis. */
  async function run(commands: string[][]): Promise<RespReply[]> {
    const prepared = commands.map((args) => {
      const refused = refusal(args);
      return refused === null ? scripts.prepare(args) : { refused };
    });
    const sent = prepared.flatMap((p) => ('args' in p ? [p.args] : []));
    const replies = await redis.send(sent);
    let next = 0;
    return prepared.map((p) => {
      if ('refused' in p) return new RespError(p.refused);
      const reply = replies[next++] ?? null;
      // SCRIPT LOAD answers the hash of the script as the client sent it.
      return p.sha !== undefined && !(reply instanceof RespError) ? Buffer.from(p.sha) : reply;
    });
  }

  async function transaction(commands: string[][]): Promise<RespReply[]> {
    for (const args of commands) {
      const refused = refusal(args);
      if (refused !== null) throw new Problem(400, refused);
    }
    const prepared = commands.map((args) => scripts.prepare(args));
    const replies = await redis.send([['MULTI'], ...prepared.map((p) => p.args), ['EXEC']]);
    const exec = replies[replies.length - 1];
    if (!Array.isArray(exec)) {
      const queueing = replies.slice(1, -1).find((r) => r instanceof RespError);
      const reason = queueing instanceof RespError ? queueing.message : exec instanceof RespError ? exec.message : 'transaction aborted';
      throw new Problem(400, `EXECABORT Transaction discarded: ${reason}`);
    }
    return exec.map((reply, i) => {
      const sha = prepared[i]?.sha;
      return sha !== undefined && !(reply instanceof RespError) ? Buffer.from(sha) : reply;
    });
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST' && method !== 'PUT') throw new Problem(405, 'ERR method not allowed');
    const url = new URL(req.url ?? '/', 'http://bridge');
    if (!authorized(req, url)) throw new Problem(401, 'Unauthorized');
    const body = method === 'GET' ? null : await readBody(req, maxBodyBytes);
    if (bridge.delayMs > 0) await sleep(bridge.delayMs);
    if (closed) {
      res.destroy();
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : '/';

    if (path === '/pipeline' || path === '/multi-exec') {
      if (body === null) throw new Problem(405, `ERR ${path} takes POST`);
      const commands = commandsFromJson(parseJson(body));
      const replies = path === '/pipeline' ? await run(commands) : await transaction(commands);
      send(res, 200, replies.map((reply): CommandOutcome => toOutcome(reply, base64)));
      return;
    }
    const command = path === '/' ? commandFromJson(parseJson(body ?? '')) : commandFromPath(path, body, url.searchParams);
    const [reply = null] = await run([command]);
    const outcome = toOutcome(reply, base64);
    send(res, 'error' in outcome ? 400 : 200, outcome);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return;
      if (error instanceof Problem) send(res, error.status, { error: error.message });
      else send(res, 500, { error: `ERR kv bridge: ${error instanceof Error ? error.message : String(error)}` });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const bridge: KvBridge = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    delayMs: options.delayMs ?? 0,
    async close() {
      closed = true;
      for (const wake of [...sleeping]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.close();
    },
  };
  return bridge;
}
