/**
 * The Upstash REST bridge for local development and tests. Node-only: import
 * it from scripts and tests, never from code that may run on Edge.
 */
export { startKvBridge, type KvBridge, type KvBridgeOptions } from './server.js';
export { parseRedisUrl, type RedisAddress } from './redis-connection.js';
export { BRIDGE_REDIS_URL_ENV, BRIDGE_TOKEN_ENV, BRIDGE_USAGE, parseBridgeCommand, redactRedisUrl, type BridgeCommand, type ParsedBridgeCommand } from './cli.js';
