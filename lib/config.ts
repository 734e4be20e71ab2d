import { z } from 'zod';
import { tracingFromEnv, type TracingConfig } from './tracing/config.js';
import { decodeBase64, ENCRYPTION_KEY_BYTES } from './webhooks/index.js';

/**
 * Iris reads its environment once, here, and fails fast with a message that
 * names the variable. Nothing else in `lib/` reads `process.env`.
 */

export type DbConfig =
  | {
      kind: 'supabase';
      url: string;
      serviceRoleKey: string;
      /** Client-side deadline of one PostgREST call, in ms: the call budget (DATABASE_TIMEOUT_MS). @default 1_500 */
      timeoutMs?: number;
    }
  | {
      kind: 'postgres';
      url: string;
      poolMax: number;
      /** DATABASE_CONNECT_TIMEOUT_MS. @default 1_000 */
      connectTimeoutMs?: number;
      /** DATABASE_STATEMENT_TIMEOUT_MS; null (0 in the environment) leaves the server's setting. @default 1_000, null behind a transaction-mode pooler */
      statementTimeoutMs?: number | null;
      /**
       * DATABASE_POOLER: `transaction` when DATABASE_URL is a transaction-mode pooler (PgBouncer, Supabase's
       * port 6543): no prepared statements, no pipelining, no statement timeout at start-up (lib/db/postgres.ts).
       * @default 'transaction' for port 6543, else null
       */
      pooler?: 'transaction' | null;
    }
  | { kind: 'pglite'; dataDir: string | null };

/** How long a database call may take, and how the database circuit behaves (docs/caching.md, "When Postgres fails"). */
export interface DbBudgetConfig {
  /** Longest one database call waits for its answer, in ms (DATABASE_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long the database circuit stays open before one call probes the database again, in ms (DATABASE_CIRCUIT_COOLDOWN_MS). */
  circuitCooldownMs: number;
}

export type KvConfig = { kind: 'upstash'; url: string; token: string } | { kind: 'memory' };

export interface Config {
  db: DbConfig;
  dbBudget: DbBudgetConfig;
  kv: KvConfig;
  /** Bearer token for /api/admin/*; when null the admin routes answer 404. */
  adminToken: string | null;
  /** Bearer token for /api/metrics; when null the endpoint is open outside production. */
  metricsToken: string | null;
  /** Bearer token Vercel Cron sends to /api/cron/* (`CRON_SECRET`); when null the cron routes answer 404. */
  cronSecret: string | null;
  /**
   * The key that encrypts secrets at rest (webhook signing secrets), 32 bytes
   * (`IRIS_ENCRYPTION_KEY`, base64). Null: the webhook routes answer 503
   * `webhooks_not_configured` and nothing is delivered. Never logged.
   */
  encryptionKey: Uint8Array<ArrayBuffer> | null;
  /**
   * Keys that encrypted secrets before `encryptionKey` (`IRIS_ENCRYPTION_KEY_PREVIOUS`:
   * comma-separated base64, at most 8): secrets they sealed still open, and are
   * sealed again under the current key when next read. Never used to encrypt; never logged.
   */
  previousEncryptionKeys: Uint8Array<ArrayBuffer>[];
  /** Origins allowed by CORS; empty means no CORS headers at all. */
  corsOrigins: string[];
  /** True on Vercel production deployments or with NODE_ENV=production. */
  production: boolean;
  /** Deployment name for metrics and logs (Vercel region + deployment, or hostname). */
  instance: string;
  /** The Vercel region this instance runs in (`VERCEL_REGION`, e.g. `iad1`); null elsewhere. */
  region: string | null;
  version: string;
  /** Requests per minute per client IP on public and admin routes and on uncached key lookups. */
  ipLimitPerMinute: number;
  /** Lowest log level written. */
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Where Iris's own spans go (the OTEL_* variables, lib/tracing/config.ts);
   * null: tracing is off and costs the request path nothing.
   */
  tracing: TracingConfig | null;
}

export class ConfigError extends Error {
  static readonly code = 'E_CONFIG';
  override readonly name = 'ConfigError';
}

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (name: string) =>
  optionalString.refine((v) => v === undefined || /^https?:\/\//.test(v), {
    message: `${name} must be an http(s) URL`,
  });

const secret = (name: string) =>
  optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: `${name} must be at least 16 characters`,
  });

/** A whole number of milliseconds within [min, max]; `zeroMeans` allows 0 as a named off switch. */
const millis = (min: number, max: number, zeroMeans?: string) =>
  optionalString
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(
      z
        .number({ error: 'must be a whole number of milliseconds' })
        .int('must be a whole number of milliseconds')
        .refine((n) => (zeroMeans !== undefined && n === 0) || (n >= min && n <= max), {
          message: `must be between ${min} and ${max} ms${zeroMeans ? ` (or 0: ${zeroMeans})` : ''}`,
        })
        .optional(),
    );

/** Defaults of the database's time budget; docs/caching.md explains how they fit together. */
export const DB_BUDGET_DEFAULTS = Object.freeze({
  timeoutMs: 1_500,
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 1_000,
  circuitCooldownMs: 2_000,
});

const EnvSchema = z.object({
  SUPABASE_URL: url('SUPABASE_URL'),
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), {
    message: 'DATABASE_URL must start with postgres:// or postgresql://',
  }),
  DATABASE_POOL_MAX: optionalString
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(1).max(100).optional()),
  DATABASE_TIMEOUT_MS: millis(10, 600_000),
  DATABASE_CONNECT_TIMEOUT_MS: millis(10, 600_000),
  DATABASE_STATEMENT_TIMEOUT_MS: millis(10, 600_000, "leave the server's statement_timeout"),
  DATABASE_CIRCUIT_COOLDOWN_MS: millis(100, 600_000),
  DATABASE_POOLER: z.enum(['transaction', 'none'], { error: 'DATABASE_POOLER must be transaction or none' }).optional(),
  IRIS_DATA_DIR: optionalString,
  KV_REST_API_URL: url('KV_REST_API_URL'),
  KV_REST_API_TOKEN: optionalString,
  UPSTASH_REDIS_REST_URL: url('UPSTASH_REDIS_REST_URL'),
  UPSTASH_REDIS_REST_TOKEN: optionalString,
  IRIS_ADMIN_TOKEN: secret('IRIS_ADMIN_TOKEN'),
  IRIS_METRICS_TOKEN: secret('IRIS_METRICS_TOKEN'),
  // Vercel's name: its cron invocations send `Authorization: Bearer $CRON_SECRET`.
  CRON_SECRET: secret('CRON_SECRET').refine((v) => v === undefined || /^[A-Za-z0-9\-._~+/]+=*$/.test(v), {
    message: 'CRON_SECRET may hold only letters, digits and - . _ ~ + / (it travels as a Bearer token)',
  }),
  IRIS_ENCRYPTION_KEY: optionalString,
  IRIS_ENCRYPTION_KEY_PREVIOUS: optionalString,
  IRIS_CORS_ORIGINS: optionalString,
  NODE_ENV: optionalString,
  VERCEL_ENV: optionalString,
  VERCEL_REGION: optionalString,
  VERCEL_DEPLOYMENT_ID: optionalString,
  HOSTNAME: optionalString,
  IRIS_IP_LIMIT_PER_MINUTE: optionalString
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(1).max(10_000_000).optional()),
  IRIS_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
});

/** Previous encryption keys kept at most (IRIS_ENCRYPTION_KEY_PREVIOUS): enough for overlapping rotations, few enough to try. */
const MAX_PREVIOUS_ENCRYPTION_KEYS = 8;

export const VERSION = '0.1.0';

/** Supabase's pooler (Supavisor) serves transaction mode on port 6543 (session mode on 5432). */
const TRANSACTION_POOLER_PORT = '6543';

function usesPoolerPort(url: string | undefined): boolean {
  if (url === undefined) return false;
  try {
    return new URL(url).port === TRANSACTION_POOLER_PORT;
  } catch {
    return false;
  }
}

/**
 * Parses an environment (default `process.env`) into a `Config`.
 * @throws ConfigError naming every variable that is missing or malformed.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];

  const dbBudget: DbBudgetConfig = {
    timeoutMs: e.DATABASE_TIMEOUT_MS ?? DB_BUDGET_DEFAULTS.timeoutMs,
    circuitCooldownMs: e.DATABASE_CIRCUIT_COOLDOWN_MS ?? DB_BUDGET_DEFAULTS.circuitCooldownMs,
  };
  // Unset, the connect and statement timeouts default to 1 s, or two thirds of a shorter call budget.
  const twoThirds = Math.floor((dbBudget.timeoutMs * 2) / 3);
  const connectTimeoutMs = e.DATABASE_CONNECT_TIMEOUT_MS ?? Math.min(DB_BUDGET_DEFAULTS.connectTimeoutMs, twoThirds);
  // A transaction-mode pooler: named, or Supabase's (Supavisor's) transaction port.
  const pooler = e.DATABASE_POOLER === 'transaction' || (e.DATABASE_POOLER === undefined && usesPoolerPort(e.DATABASE_URL)) ? 'transaction' : null;
  if (pooler && e.DATABASE_URL && e.DATABASE_STATEMENT_TIMEOUT_MS !== undefined && e.DATABASE_STATEMENT_TIMEOUT_MS !== 0) {
    problems.push(
      `DATABASE_STATEMENT_TIMEOUT_MS cannot reach the server through a transaction-mode pooler (${e.DATABASE_POOLER ? 'DATABASE_POOLER=transaction' : 'port 6543'}), ` +
        "which refuses it as a startup parameter: set it on the role (alter role <user> set statement_timeout = '1s') and leave the variable unset or 0",
    );
  }
  const statementTimeoutMs =
    pooler || e.DATABASE_STATEMENT_TIMEOUT_MS === 0 ? null : (e.DATABASE_STATEMENT_TIMEOUT_MS ?? Math.min(DB_BUDGET_DEFAULTS.statementTimeoutMs, twoThirds));
  // Both must fire before the call's budget: a connection that cannot be opened must count as a failure
  // (the circuit opens), and a statement the server cancels must end before the caller gives up on it.
  if (connectTimeoutMs >= dbBudget.timeoutMs) {
    problems.push(`DATABASE_CONNECT_TIMEOUT_MS (${connectTimeoutMs}) must be below DATABASE_TIMEOUT_MS (${dbBudget.timeoutMs})`);
  }
  if (statementTimeoutMs !== null && statementTimeoutMs >= dbBudget.timeoutMs) {
    problems.push(`DATABASE_STATEMENT_TIMEOUT_MS (${statementTimeoutMs}) must be below DATABASE_TIMEOUT_MS (${dbBudget.timeoutMs}), or 0 to leave the server's setting`);
  }

  let db: DbConfig;
  if (e.SUPABASE_URL || e.SUPABASE_SERVICE_ROLE_KEY) {
    if (!e.SUPABASE_URL) problems.push('SUPABASE_SERVICE_ROLE_KEY is set but SUPABASE_URL is missing');
    if (!e.SUPABASE_SERVICE_ROLE_KEY) problems.push('SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is missing');
    db = { kind: 'supabase', url: e.SUPABASE_URL ?? '', serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY ?? '', timeoutMs: dbBudget.timeoutMs };
  } else if (e.DATABASE_URL) {
    db = { kind: 'postgres', url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX ?? 5, connectTimeoutMs, statementTimeoutMs, pooler };
  } else {
    db = { kind: 'pglite', dataDir: e.IRIS_DATA_DIR ?? null };
  }

  let kv: KvConfig = { kind: 'memory' };
  const kvUrl = e.KV_REST_API_URL ?? e.UPSTASH_REDIS_REST_URL;
  const kvToken = e.KV_REST_API_TOKEN ?? e.UPSTASH_REDIS_REST_TOKEN;
  if (kvUrl || kvToken) {
    if (!kvUrl) problems.push('a KV token is set but KV_REST_API_URL (or UPSTASH_REDIS_REST_URL) is missing');
    if (!kvToken) problems.push('a KV URL is set but KV_REST_API_TOKEN (or UPSTASH_REDIS_REST_TOKEN) is missing');
    kv = { kind: 'upstash', url: kvUrl ?? '', token: kvToken ?? '' };
  }

  const corsOrigins = (e.IRIS_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (origin === '*' || !/^https?:\/\/[^/]+$/.test(origin)) {
      problems.push(`IRIS_CORS_ORIGINS: "${origin}" must be an origin like https://app.example.com ("*" is not allowed)`);
    }
  }

  let encryptionKey: Uint8Array<ArrayBuffer> | null = null;
  if (e.IRIS_ENCRYPTION_KEY !== undefined) {
    // Never the value in the message: only what is wrong with it.
    const bytes = decodeBase64(e.IRIS_ENCRYPTION_KEY);
    if (bytes?.length === ENCRYPTION_KEY_BYTES) encryptionKey = bytes;
    else {
      const got = bytes ? `${bytes.length} bytes` : 'text that is not base64';
      problems.push(`IRIS_ENCRYPTION_KEY must be ${ENCRYPTION_KEY_BYTES} random bytes in base64 (generate one with: openssl rand -base64 32); got ${got}`);
    }
  }

  const previousEncryptionKeys: Uint8Array<ArrayBuffer>[] = [];
  if (e.IRIS_ENCRYPTION_KEY_PREVIOUS !== undefined) {
    const values = e.IRIS_ENCRYPTION_KEY_PREVIOUS.split(',').map((v) => v.trim());
    if (e.IRIS_ENCRYPTION_KEY === undefined) {
      problems.push('IRIS_ENCRYPTION_KEY_PREVIOUS is set without IRIS_ENCRYPTION_KEY: set the new key there and keep the old ones here');
    } else if (values.length > MAX_PREVIOUS_ENCRYPTION_KEYS) {
      problems.push(`IRIS_ENCRYPTION_KEY_PREVIOUS holds ${values.length} keys; at most ${MAX_PREVIOUS_ENCRYPTION_KEYS} (drop the ones no secret is sealed under any more)`);
    } else {
      values.forEach((value, i) => {
        // By position, never the value.
        const bytes = decodeBase64(value);
        if (bytes?.length === ENCRYPTION_KEY_BYTES) previousEncryptionKeys.push(bytes);
        else {
          const got = value === '' ? 'nothing' : bytes ? `${bytes.length} bytes` : 'text that is not base64';
          problems.push(`IRIS_ENCRYPTION_KEY_PREVIOUS: key ${i + 1} must be ${ENCRYPTION_KEY_BYTES} bytes in base64; got ${got}`);
        }
      });
    }
  }

  const production = e.VERCEL_ENV === 'production' || (e.VERCEL_ENV === undefined && e.NODE_ENV === 'production');
  const { tracing, problems: tracingProblems } = tracingFromEnv(env);
  problems.push(...tracingProblems);

  if (problems.length > 0) throw new ConfigError(`Invalid environment:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  return {
    db,
    dbBudget,
    kv,
    adminToken: e.IRIS_ADMIN_TOKEN ?? null,
    metricsToken: e.IRIS_METRICS_TOKEN ?? null,
    cronSecret: e.CRON_SECRET ?? null,
    encryptionKey,
    previousEncryptionKeys,
    corsOrigins,
    production,
    instance: [e.VERCEL_REGION, e.VERCEL_DEPLOYMENT_ID ?? e.HOSTNAME].filter(Boolean).join('/') || 'local',
    region: e.VERCEL_REGION ?? null,
    version: VERSION,
    logLevel: e.IRIS_LOG_LEVEL ?? 'info',
    ipLimitPerMinute: e.IRIS_IP_LIMIT_PER_MINUTE ?? 100,
    tracing,
  };
}
