/**
 * `npm run test:integration [-- <vitest args>]`
 *
 * Starts a throwaway PostgreSQL 15, a redis-server and the Upstash REST bridge
 * in front of it, exports where they are, runs the integration suites with
 * vitest, always stops the servers (also on failure and on SIGINT/SIGTERM),
 * and exits with vitest's code.
 *
 * Exported to the suites:
 *   IRIS_TEST_DATABASE_URL  postgres://postgres@127.0.0.1:<port>/postgres
 *   IRIS_TEST_REDIS_URL     redis://127.0.0.1:<port>
 *   IRIS_TEST_REDIS_PORT    <port>
 *   IRIS_TEST_KV_URL        http://127.0.0.1:<port> (Upstash REST bridge)
 *   IRIS_TEST_KV_TOKEN      bearer token for the bridge
 *
 * IRIS_VITEST_JSON=<path> also writes vitest's JSON report there (CI counts tests from it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKvBridge } from '../../lib/kv/bridge/index.js';
import { startPostgres, startRedis } from './harness/index.js';
import { cleanRegistry, REGISTRY_ENV } from './harness/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const vitestCli = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

const running: Stoppable[] = [];
let vitest: ChildProcess | undefined;
let signalled: NodeJS.Signals | undefined;

// Every server a harness helper starts, here or in a test worker, is recorded
// in this directory until stopped; whatever is left at the end (a worker killed
// mid-test) is cleaned up by PID.
const registry = mkdtempSync(join(tmpdir(), 'iris-harness-'));
process.env[REGISTRY_ENV] = registry;

async function stopAll(): Promise<void> {
  const servers = running.splice(0).reverse();
  const results = await Promise.allSettled(servers.map((s) => s.stop()));
  results.forEach((r, i) => {
    if (r.status === 'rejected') console.error(`[integration] could not stop ${servers[i]?.name}:`, r.reason);
  });
  const leftovers = cleanRegistry(registry);
  if (leftovers > 0) console.error(`[integration] cleaned up ${leftovers} server(s) a test process left behind`);
}

function onSignal(sig: NodeJS.Signals): void {
  if (signalled) return;
  signalled = sig;
  console.error(`\n[integration] ${sig}: stopping vitest and the servers...`);
  // vitest ends on its own and main() then stops the servers; during start-up
  // main() checks `signalled` after each step.
  vitest?.kill(sig);
}

function vitestArgs(): string[] {
  const args = ['run', '--config', 'test/integration/vitest.config.ts'];
  const json = process.env.IRIS_VITEST_JSON;
  if (json) args.push('--reporter=default', '--reporter=json', `--outputFile.json=${json}`);
  return [...args, ...process.argv.slice(2)];
}

function runVitest(env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    vitest = spawn(process.execPath, [vitestCli, ...vitestArgs()], { cwd: root, env, stdio: 'inherit' });
    vitest.on('error', (error) => {
      console.error('[integration] could not start vitest:', error);
      resolve(1);
    });
    vitest.on('exit', (code, sig) => resolve(code ?? (sig ? (SIGNAL_EXIT[sig] ?? 1) : 1)));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const [pg, redis] = await Promise.allSettled([startPostgres(), startRedis()]);
  if (pg.status === 'fulfilled') running.push({ name: 'PostgreSQL', stop: pg.value.stop });
  if (redis.status === 'fulfilled') running.push({ name: 'redis-server', stop: redis.value.stop });
  if (pg.status === 'rejected') throw pg.reason;
  if (redis.status === 'rejected') throw redis.reason;
  if (signalled) return SIGNAL_EXIT[signalled] ?? 1;

  const token = randomBytes(24).toString('base64url');
  const bridge = await startKvBridge({ redisPort: redis.value.port, token });
  running.push({ name: 'KV bridge', stop: () => bridge.close() });
  if (signalled) return SIGNAL_EXIT[signalled] ?? 1;

  console.log(
    `[integration] PostgreSQL ${pg.value.url} (pid ${pg.value.pid}), redis ${redis.value.url} (pid ${redis.value.pid}), ` +
      `KV bridge ${bridge.url}; ready in ${Date.now() - started} ms`,
  );
  return runVitest({
    ...process.env,
    IRIS_TEST_DATABASE_URL: pg.value.url,
    IRIS_TEST_REDIS_URL: redis.value.url,
    IRIS_TEST_REDIS_PORT: String(redis.value.port),
    IRIS_TEST_KV_URL: bridge.url,
    IRIS_TEST_KV_TOKEN: token,
  });
}

process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error('[integration] could not start the test servers:', error);
} finally {
  await stopAll();
}
process.exit(signalled ? (SIGNAL_EXIT[signalled] ?? exitCode) : exitCode);
