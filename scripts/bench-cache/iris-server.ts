/**
 * Child process (see child-process.ts): one Iris local server, built like
 * `npm run dev` builds it (startLocalServer on port 0, services with
 * `local: true` so `X-Iris-Cache-Bypass` is honoured), with a seeded demo
 * project whose rate limits no benchmark reaches and a fresh API key.
 *
 *   [KV_REST_API_TOKEN=...] node --import tsx scripts/bench-cache/iris-server.ts '<IrisServerOptions as JSON>'
 *
 * The KV token comes from the environment, never the command line.
 */
import { fileURLToPath } from 'node:url';
import { displayPrefix, generateApiKey, sha256Hex } from '../../lib/auth/index.js';
import type { TieredCacheOptions } from '../../lib/cache/index.js';
import { loadConfig } from '../../lib/config.js';
import { migrate } from '../../lib/db/migrations.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import type { SqlDb } from '../../lib/db/types.js';
import { seedDemo } from '../../lib/seed/index.js';
import { startLocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { childMain } from './child-process.js';

export interface IrisServerOptions {
  /** Embedded PGlite in the child, or a PostgreSQL server (migrated and seeded here). */
  database: { kind: 'pglite' } | { kind: 'postgres'; url: string };
  /** Runs seeded into the demo project. */
  seedRuns: number;
  /** The Upstash REST endpoint (the local bridge) for L2 and the fleet limiter, its token in $KV_REST_API_TOKEN; absent: the in-memory KV. */
  kv?: { url: string };
  /** Cache settings other than the defaults (scenario 8 compares them). @default the defaults */
  cache?: Pick<TieredCacheOptions, 'kvTimeoutMs' | 'kvAnswerDeadlineMs'>;
  /** Iris's own tracing on, exporting to this OTLP/HTTP base endpoint (scenario 11). @default off */
  tracing?: { endpoint: string };
}

export interface IrisServerInfo {
  url: string;
  /** Bearer key of the seeded project. */
  key: string;
  projectId: string;
  seedMs: number;
  /** `PGlite (PostgreSQL 18.6)` or `PostgreSQL 15.18`. */
  database: string;
}

/** Per-minute limits far above what any scenario sends (the admin API caps them lower, so they are written directly). */
const UNREACHABLE_PER_MINUTE = 100_000_000;

/** Gives the project limits no benchmark reaches and mints a key for it. */
async function keyWithoutLimits(db: SqlDb, projectId: string): Promise<string> {
  await db.query('update public.projects set settings = settings || $2::jsonb where id = $1', [
    projectId,
    JSON.stringify({ rateLimit: { readsPerMinute: UNREACHABLE_PER_MINUTE, writesPerMinute: UNREACHABLE_PER_MINUTE } }),
  ]);
  const key = generateApiKey();
  await db.rpc('create_api_key', { p_project_id: projectId, p_key_hash: await sha256Hex(key), p_prefix: displayPrefix(key), p_label: 'bench:cache' });
  return key;
}

childMain(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as IrisServerOptions;
  const env: Record<string, string> = { IRIS_LOG_LEVEL: 'warn', IRIS_IP_LIMIT_PER_MINUTE: '10000000' };
  if (options.kv) Object.assign(env, { KV_REST_API_URL: options.kv.url, KV_REST_API_TOKEN: process.env.KV_REST_API_TOKEN ?? '' });
  if (options.database.kind === 'postgres') env.DATABASE_URL = options.database.url;
  if (options.tracing) env.OTEL_EXPORTER_OTLP_ENDPOINT = options.tracing.endpoint;
  const config = loadConfig(env);

  let db: SqlDb;
  if (config.db.kind === 'postgres') {
    db = createPostgresDb({ url: config.db.url, poolMax: config.db.poolMax, applicationName: 'iris-bench-cache' });
    await migrate(db);
  } else {
    db = await createPgliteDb({ dataDir: null });
  }
  const started = performance.now();
  const { projectId } = await seedDemo(db, { runs: options.seedRuns, projectName: 'bench:cache' });
  const seedMs = performance.now() - started;
  const key = await keyWithoutLimits(db, projectId);
  const [row] = await db.query<{ v: string }>("select current_setting('server_version') as v");
  const version = row?.v.split(' ')[0] ?? '?'; // '15.18 (Debian 15.18-0+deb12u1)' -> '15.18'
  const database = config.db.kind === 'postgres' ? `PostgreSQL ${version}` : `PGlite (PostgreSQL ${version})`;

  const services = await createServices({ config, db, local: true, ...(options.cache ? { cache: options.cache } : {}) });
  const server = await startLocalServer({
    apiDir: fileURLToPath(new URL('../../api', import.meta.url)),
    services,
    port: 0,
    hostname: '127.0.0.1',
  });
  const info: IrisServerInfo = { url: server.url, key, projectId, seedMs, database };
  return {
    info,
    close: () => server.close(),
  };
});
