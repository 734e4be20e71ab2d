/**
 * Node-only. The server the tools measure when no BENCHMARK_URL is given:
 * Iris on its embedded defaults (PGlite in process, in-memory KV), seeded with
 * the demo project, with a fresh API key, admin token and metrics token,
 * listening on a free loopback port. The same steps as `npm run dev`.
 */
import { fileURLToPath } from 'node:url';
import { displayPrefix, generateApiKey, sha256Hex } from '../auth/index.js';
import { loadConfig } from '../config.js';
import { createDb } from '../db/create.js';
import type { SqlDb } from '../db/types.js';
import { seedDemo } from '../seed/index.js';
import { startLocalServer } from '../server/index.js';
import { createServices } from '../services.js';
import { targetHeaders, type Target } from './target.js';

/** Options of {@link startLocalTarget}. */
export interface LocalTargetOptions {
  /**
   * Model runs seeded into the demo project.
   * @default 50_000
   */
  runs?: number;
  /** Progress lines (`seeding 50,000 runs...`); silent when absent. */
  log?: (line: string) => void;
}

/** A running local server and how to reach it. */
export interface LocalTarget {
  target: Target;
  /** Memory of this process, which holds both the server and the load generator. */
  memory(): { rssBytes: number; heapUsedBytes: number };
  /** Stops the server and closes the database. */
  close(): Promise<void>;
}

const randomToken = (prefix: string) => `${prefix}${crypto.randomUUID().replace(/-/g, '')}`;

/** Starts, seeds and keys a local Iris on a free port. */
export async function startLocalTarget(options: LocalTargetOptions = {}): Promise<LocalTarget> {
  const log = options.log ?? (() => {});
  const runs = options.runs ?? 50_000;
  const started = performance.now();
  const adminToken = randomToken('bench_admin_');
  const metricsToken = randomToken('bench_metrics_');
  // Embedded defaults whatever the environment says: a benchmark without
  // BENCHMARK_URL must never write into a configured database.
  const config = {
    ...loadConfig({ IRIS_LOG_LEVEL: 'warn' }),
    db: { kind: 'pglite' as const, dataDir: null },
    adminToken,
    metricsToken,
  };
  log('starting Iris on embedded PGlite...');
  const db = (await createDb(config.db)) as SqlDb;
  try {
    log(`seeding the demo project with ${runs.toLocaleString('en')} runs...`);
    // The demo project's limits are out of reach (DEMO_RATE_LIMIT): the tools measure the server, not the limiter.
    const { projectId } = await seedDemo(db, { runs });
    const apiKey = generateApiKey();
    await db.rpc('create_api_key', {
      p_project_id: projectId,
      p_key_hash: await sha256Hex(apiKey),
      p_prefix: displayPrefix(apiKey),
      p_label: 'iris loadgen',
    });
    const services = await createServices({ config, db });
    const server = await startLocalServer({
      apiDir: fileURLToPath(new URL('../../api', import.meta.url)),
      services,
      port: 0,
      hostname: '127.0.0.1',
    });
    log(`local Iris ready on ${server.url} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return {
      target: { baseUrl: server.url, headers: targetHeaders(apiKey), metricsToken, adminToken, embedded: true },
      memory: () => {
        const m = process.memoryUsage();
        return { rssBytes: m.rss, heapUsedBytes: m.heapUsed };
      },
      close: () => server.close(),
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
