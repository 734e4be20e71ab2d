/**
 * Runs the Upstash REST bridge in front of a local redis-server, so the
 * Upstash code path (and @upstash/ratelimit) can be used without Upstash:
 *
 *   export KV_REST_API_TOKEN=$(node -e "console.log(crypto.randomUUID())")
 *   npm run kv:bridge -- --redis redis://127.0.0.1:6379 --port 8079 &
 *   KV_REST_API_URL=http://127.0.0.1:8079 npm run dev
 *
 * The token is read from $KV_REST_API_TOKEN only (the variable Iris reads
 * too), a Redis URL with a password from $REDIS_URL: never from the command
 * line, which every user of the machine can read, and never printed
 * (lib/kv/bridge/cli.ts). Stops on SIGINT or SIGTERM.
 */
import { BRIDGE_USAGE, parseBridgeCommand, redactRedisUrl, startKvBridge } from '../lib/kv/bridge/index.js';

function fail(message: string): never {
  console.error(`kv-bridge: ${message}\n${BRIDGE_USAGE}`);
  process.exit(2);
}

const parsed = parseBridgeCommand(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  console.log(BRIDGE_USAGE);
  process.exit(0);
}
if (parsed.kind === 'error') fail(parsed.message);
const { command } = parsed;

const bridge = await startKvBridge({ redisUrl: command.redisUrl, port: command.port, host: command.host, token: command.token }).catch(
  // startKvBridge's messages name options, never the token or a password.
  (error: unknown) => fail((error as Error).message),
);
console.log(`kv-bridge: ${bridge.url} -> ${redactRedisUrl(command.redisUrl)}`);
console.log(`  KV_REST_API_URL=${bridge.url} and the same KV_REST_API_TOKEN for Iris`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void bridge.close().then(() => process.exit(0));
  });
}
