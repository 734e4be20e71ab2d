export type * from './types.js';
export { DbError, type DbErrorOptions } from './errors.js';
