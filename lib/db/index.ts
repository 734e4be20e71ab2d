export type * from './types.js';
export { DbError, type DbErrorOptions } from './errors.js';
export { EXPECTED_MIGRATIONS, HEALTH_MIGRATION } from './manifest.js';
