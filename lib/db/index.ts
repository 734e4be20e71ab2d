export type * from './types.js';
export { DbError } from './errors.js';
