/**
 * Child process of `npm run bench:analytics` (see ../bench-cache/child-process.ts):
 * one Iris local server on a PostgreSQL database migrated with the migrations
 * of `migrationsDir` (all of them, or only those before rollups), with one
 * project whose rate limits no benchmark reaches and a key for it.
 *
 *   node --import tsx scripts/bench-analytics/ingest-server.ts '<IngestServerOptions as JSON>'
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../lib/config.js';
import { migrate } from '../../lib/db/migrations.js';
import { createPostgresDb } from '../../lib/db/postgres.js';
import { seedProject } from '../../lib/seed/index.js';
import { startLocalServer } from '../../lib/server/index.js';
import { createServices } from '../../lib/services.js';
import { childMain } from '../bench-cache/child-process.js';

export interface IngestServerOptions {
  databaseUrl: string;
  /** Directory of the migrations to apply. */
  migrationsDir: string;
}

export interface IngestServerInfo {
  url: string;
  key: string;
  projectId: string;
}

const UNREACHABLE_PER_MINUTE = 100_000_000;

childMain(async () => {
  const options = JSON.parse(process.argv[2] ?? '{}') as IngestServerOptions;
  const config = loadConfig({ DATABASE_URL: options.databaseUrl, DATABASE_POOL_MAX: '8', IRIS_LOG_LEVEL: 'warn', IRIS_IP_LIMIT_PER_MINUTE: '10000000' });
  if (config.db.kind !== 'postgres') throw new Error('ingest-server needs a PostgreSQL URL');
  const db = createPostgresDb({ url: config.db.url, poolMax: config.db.poolMax, applicationName: 'iris-bench-analytics' });
  await migrate(db, { dir: options.migrationsDir });
  const { projectId, apiKey } = await seedProject(db, {
    name: 'bench:analytics ingest',
    settings: { rateLimit: { readsPerMinute: UNREACHABLE_PER_MINUTE, writesPerMinute: UNREACHABLE_PER_MINUTE } },
  });
  const services = await createServices({ config, db, local: true });
  const server = await startLocalServer({ apiDir: fileURLToPath(new URL('../../api', import.meta.url)), services, port: 0, hostname: '127.0.0.1' });
  return { info: { url: server.url, key: apiKey, projectId } satisfies IngestServerInfo, close: () => server.close() };
});
