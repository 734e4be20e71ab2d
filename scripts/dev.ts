/**
 * `npm run dev`: the API on this machine. With nothing configured it runs on
 * the embedded defaults (PGlite + in-memory KV), seeds a demo project, mints a
 * demo key and prints curl commands to paste. Ctrl-C stops it cleanly.
 *
 *   npm run dev                      # embedded, 50,000 seeded runs
 *   npm run dev -- --runs 200000     # a bigger demo history
 *   npm run dev -- --no-seed         # no demo data
 *   DATABASE_URL=postgres://... npm run dev -- --seed   # seed a real database too
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { displayPrefix, generateApiKey, sha256Hex } from '../lib/auth/index.js';
import { loadConfig, ConfigError } from '../lib/config.js';
import { createDb } from '../lib/db/create.js';
import type { Db, SqlDb } from '../lib/db/types.js';
import { applyDemoRateLimit, DEMO_PROJECT_NAME, seedDemo } from '../lib/seed/index.js';
import { describeDatabase, describeTracing, devBanner, startLocalServer } from '../lib/server/index.js';
import { createServices } from '../lib/services.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'boolean', default: false },
    'no-seed': { type: 'boolean', default: false },
    runs: { type: 'string', default: '50000' },
    port: { type: 'string' },
  },
});

function isSqlDb(db: Db): db is SqlDb {
  return db.kind === 'pglite' || db.kind === 'postgres';
}

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  const embedded = config.db.kind === 'pglite';
  const shouldSeed = !values['no-seed'] && (embedded || values.seed);

  // On the embedded defaults the admin surface gets a token for this run only, so
  // the admin curl examples work; anywhere else it must be configured explicitly.
  const mintAdminToken = embedded && !config.adminToken;
  if (mintAdminToken) config = { ...config, adminToken: 'dev_admin_' + crypto.randomUUID().replace(/-/g, '') };
  // Likewise an encryption key for webhook secrets: endpoints created in this run work in this run.
  const mintEncryptionKey = embedded && !config.encryptionKey;
  if (mintEncryptionKey) config = { ...config, encryptionKey: crypto.getRandomValues(new Uint8Array(32)) };

  const started = performance.now();
  console.log(`Iris ${config.version}: database ${describeDatabase(config.db)}, KV ${config.kv.kind}, ${describeTracing(config.tracing)}`);
  const db = await createDb(config.db);

  let demoKey: string | null = null;
  if (shouldSeed && isSqlDb(db)) {
    const projects = await db.rpc('list_projects', {});
    let projectId = projects.find((p) => p.name === DEMO_PROJECT_NAME)?.id;
    if (!projectId) {
      const runs = Number(values.runs);
      process.stdout.write(`Seeding a demo project with ${runs.toLocaleString('en')} runs over 30 days... `);
      const t0 = performance.now();
      projectId = (await seedDemo(db, { runs })).projectId;
      console.log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } else {
      // A demo project seeded before it came with its rate limits gets them now.
      await applyDemoRateLimit(db, projectId);
    }
    demoKey = generateApiKey();
    await db.rpc('create_api_key', {
      p_project_id: projectId,
      p_key_hash: await sha256Hex(demoKey),
      p_prefix: displayPrefix(demoKey),
      p_label: 'npm run dev',
    });
  }

  // The local server: webhooks may go to receivers on this machine (http://127.0.0.1:<port>), never in production.
  const services = await createServices({ config, db, loopbackWebhooks: !config.production });
  const server = await startLocalServer({
    apiDir: fileURLToPath(new URL('../api', import.meta.url)),
    services,
    port,
    hostname: process.env.HOST ?? '127.0.0.1',
  });

  const base = server.url.replace('127.0.0.1', 'localhost');
  console.log(`\nIris is listening on ${base} (ready in ${((performance.now() - started) / 1000).toFixed(1)} s, ${server.routes.length} routes)\n`);
  // A configured admin token is printed too (this is a developer's terminal), but never in production.
  const adminToken = config.adminToken && (mintAdminToken || !config.production) ? { value: config.adminToken, mintedForThisRun: mintAdminToken } : null;
  const banner = devBanner({
    baseUrl: base,
    demoKey,
    adminToken,
    metricsTokenConfigured: config.metricsToken !== null,
    encryptionKeyMintedForThisRun: mintEncryptionKey,
  });
  console.log(banner.join('\n'));
  console.log('\nCtrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
