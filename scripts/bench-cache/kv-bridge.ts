/**
 * Child process (see child-process.ts) for scenario 6: the Upstash REST
 * bridge in front of a local redis-server, in a process of its own so it
 * shares an event loop with neither Iris nor the load generator. The bridge
 * reconnects to Redis on the next command after a drop, so it outlives a
 * Redis restart on the same port.
 *
 *   KV_REST_API_TOKEN=... node --import tsx scripts/bench-cache/kv-bridge.ts '{"redisPort":6379}'
 *
 * The token comes from the environment, never the command line (`ps` shows
 * every process's arguments to every user).
 */
import { startKvBridge } from '../../lib/kv/bridge/index.js';
import { childMain } from './child-process.js';

childMain(async () => {
  const { redisPort } = JSON.parse(process.argv[2] ?? '{}') as { redisPort: number };
  const token = process.env.KV_REST_API_TOKEN;
  if (!token) throw new Error('KV_REST_API_TOKEN is not set');
  const bridge = await startKvBridge({ redisPort, token, port: 0 });
  return { info: { url: bridge.url }, close: () => bridge.close() };
});
