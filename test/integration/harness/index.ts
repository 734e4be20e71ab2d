// Node-only helpers for integration tests: throwaway servers (PostgreSQL, redis-server, PgBouncer) on free ports,
// stopped by PID. run.ts uses them for the shared servers; a fault test can
// start its own to stop or pause without disturbing other suites.
export { freePort } from './free-port.js';
export { startPgbouncer, type PgbouncerServer, type StartPgbouncerOptions } from './pgbouncer.js';
export { startPostgres, type PostgresServer, type StartPostgresOptions } from './postgres.js';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis.js';
export { testDatabases, type TestDatabases } from './databases.js';
