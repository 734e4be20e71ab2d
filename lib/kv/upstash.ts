import { Redis } from '@upstash/redis';
import { KvError, type KvOp } from './errors.js';
import { wholeTtlMs } from './ttl.js';
import type { KvSetOptions, KvStore } from './types.js';

/** How the Upstash REST client is built when `createUpstashKv` builds it. */
export interface UpstashClientOptions {
  /** REST URL of the database (`KV_REST_API_URL` / `UPSTASH_REDIS_REST_URL`). */
  url: string;
  /** REST token of the database (`KV_REST_API_TOKEN` / `UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /**
   * Hard deadline in ms for each HTTP request the client makes, after which it
   * is aborted and its socket freed. It also applies to everyone sharing the
   * client, @upstash/ratelimit included, so keep it above their own timeouts.
   * @default 1000
   */
  requestTimeoutMs?: number;
  /**
   * Immediate retries when fetch itself fails (for example a reset keep-alive
   * socket); an HTTP error answer is never retried.
   * @default 1
   */
  retries?: number;
}

export type UpstashKvOptions = {
  /**
   * Budget in ms for one `KvStore` call, retries included: past it the call
   * rejects with a `KvError` whose reason is `timeout`, so a slow Redis never
   * holds a request longer than this.
   * @default 50
   */
  timeoutMs?: number;
} & (
  | (UpstashClientOptions & { redis?: never })
  | {
      /**
       * An existing client to share, for example with @upstash/ratelimit. It
       * must be created with `automaticDeserialization: false` (as
       * `createUpstashRedis` does), or numeric-looking values would come back
       * as numbers.
       */
      redis: Redis;
      url?: never;
      token?: never;
      requestTimeoutMs?: never;
      retries?: never;
    }
);

/** The Upstash `KvStore`; `redis` exposes its client for sharing. */
export interface UpstashKv extends KvStore {
  readonly kind: 'upstash';
  /**
   * The underlying @upstash/redis client, so @upstash/ratelimit can share its
   * connection: `new Ratelimit({ redis: kv.redis, ... })`. Its requests are
   * aborted after `requestTimeoutMs` when this module built it.
   */
  readonly redis: Redis;
}

const DEFAULT_TIMEOUT_MS = 50;
const DEFAULT_REQUEST_TIMEOUT_MS = 1000;
const DEFAULT_RETRIES = 1;

// Compare-and-delete in one step so that a lock holder whose lock expired
// cannot delete the lock someone else took since.
const DEL_IF_EQUALS_SCRIPT = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

function positiveMs(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`UpstashKvOptions.${name} must be a finite number of milliseconds greater than 0, got ${value}`);
  }
  return value;
}

/**
 * Builds an @upstash/redis client configured the way `createUpstashKv` needs
 * (raw strings, bounded requests, no retry backoff), to share between the KV
 * store and @upstash/ratelimit.
 * @throws TypeError naming the option when `url` or `token` is unusable.
 */
export function createUpstashRedis(options: UpstashClientOptions): Redis {
  if (!/^https?:\/\/[^\s/]+/.test(options.url)) {
    throw new TypeError(`UpstashKvOptions.url must be an http(s) URL, got "${options.url}"`);
  }
  if (options.token.trim() === '') throw new TypeError('UpstashKvOptions.token must not be empty');
  const requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  const retries = options.retries ?? DEFAULT_RETRIES;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new RangeError(`UpstashKvOptions.retries must be a non-negative integer, got ${retries}`);
  }
  return new Redis({
    url: options.url,
    token: options.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    // Within a budget of tens of milliseconds a backoff only burns the budget.
    retry: retries === 0 ? false : { retries, backoff: () => 0 },
    // A function, not a signal: the client calls it once per HTTP request, and
    // only with a function does an abort reject instead of resolving a fake result.
    signal: () => AbortSignal.timeout(requestTimeoutMs),
  });
}

function toKvError(op: KvOp, error: unknown): KvError {
  if (error instanceof KvError) return error;
  const name = error instanceof Error ? error.name : '';
  const reason = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'error';
  const message = error instanceof Error ? error.message : String(error);
  return new KvError(op, reason, `kv ${op} failed: ${message}`, { cause: error });
}

/**
 * Creates the `KvStore` backed by Upstash Redis over REST, from a URL and
 * token or from an existing client. Runs on Node and Edge (fetch only).
 * Every call settles within `timeoutMs`; failures reject with a `KvError`
 * (reason `timeout` or `error`). Circuit breaking is the caller's job.
 * @throws TypeError or RangeError naming the option that is unusable.
 * @example
 * const kv = createUpstashKv({ url: process.env.KV_REST_API_URL!, token, timeoutMs: 50 });
 * const limiter = new Ratelimit({ redis: kv.redis, limiter: Ratelimit.slidingWindow(10, '10 s') });
 */
export function createUpstashKv(options: UpstashKvOptions): UpstashKv {
  const timeoutMs = positiveMs('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let redis: Redis;
  if (options.redis !== undefined) {
    redis = options.redis;
    // `opts` is protected in the typings; read it only to fail fast on a
    // client that would turn "123" into 123.
    const opts = (redis as unknown as { opts?: { automaticDeserialization?: boolean } }).opts;
    if (opts !== undefined && opts.automaticDeserialization !== false) {
      throw new TypeError('UpstashKvOptions.redis must be created with automaticDeserialization: false');
    }
  } else {
    redis = createUpstashRedis(options);
  }

  function run<T>(op: KvOp, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new KvError(op, 'timeout', `kv ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      // After a timeout these settle an already-rejected promise: a no-op,
      // and the late failure is not reported as unhandled.
      call().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(toKvError(op, error));
        },
      );
    });
  }

  return {
    kind: 'upstash',
    redis,

    get(key) {
      return run('get', () => redis.get<string>(key));
    },

    async mget(keys) {
      if (keys.length === 0) return [];
      return run('mget', () => redis.mget<(string | null)[]>(...keys));
    },

    async set(key: string, value: string, setOptions: KvSetOptions = {}) {
      const px = setOptions.ttlMs === undefined ? undefined : wholeTtlMs(setOptions.ttlMs);
      const reply = await run('set', () => {
        if (setOptions.nx) return redis.set(key, value, px === undefined ? { nx: true } : { px, nx: true });
        return px === undefined ? redis.set(key, value) : redis.set(key, value, { px });
      });
      return reply === 'OK';
    },

    async del(...keys) {
      if (keys.length === 0) return 0;
      return run('del', () => redis.del(...keys));
    },

    incr(key) {
      return run('incr', () => redis.incr(key));
    },

    append(key, value) {
      return run('append', () => redis.append(key, value));
    },

    async pexpire(key, ttlMs) {
      const whole = wholeTtlMs(ttlMs);
      return (await run('pexpire', () => redis.pexpire(key, whole))) === 1;
    },

    async delIfEquals(key, expected) {
      return (await run('delIfEquals', () => redis.eval<[string], number>(DEL_IF_EQUALS_SCRIPT, [key], [expected]))) === 1;
    },
  };
}
