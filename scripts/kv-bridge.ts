/**
 * Runs the Upstash REST bridge in front of a local redis-server, so the
 * Upstash code path (and @upstash/ratelimit) can be used without Upstash:
 *
 *   npm run kv:bridge -- --redis redis://127.0.0.1:6379 --port 8079 --token local-dev-token
 *   KV_REST_API_URL=http://127.0.0.1:8079 KV_REST_API_TOKEN=local-dev-token npm run dev
 *
 * --token falls back to $KV_REST_API_TOKEN. Stops on SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startKvBridge } from '../lib/kv/bridge/index.js';

const USAGE = 'usage: npm run kv:bridge -- [--redis redis://127.0.0.1:6379] [--port 8079] [--host 127.0.0.1] --token TOKEN';

function fail(message: string): never {
  console.error(`kv-bridge: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
      port: { type: 'string', default: '8079' },
      host: { type: 'string', default: '127.0.0.1' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const token = values.token ?? process.env.KV_REST_API_TOKEN;
if (!token) fail('--token is required (or set KV_REST_API_TOKEN)');
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got "${values.port}"`);

const bridge = await startKvBridge({ redisUrl: values.redis, port, host: values.host, token }).catch((error: unknown) =>
  fail((error as Error).message),
);
console.log(`kv-bridge: ${bridge.url} -> ${values.redis}`);
console.log(`  KV_REST_API_URL=${bridge.url} KV_REST_API_TOKEN=<your token>`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bridge.close().then(() => process.exit(0));
  });
}
