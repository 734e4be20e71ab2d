export type * from './types.js';
export { KvError, type KvErrorReason, type KvOp } from './errors.js';
export { createMemoryKv, ENTRY_OVERHEAD_BYTES, type MemoryKv, type MemoryKvOptions, type MemoryKvStats } from './memory.js';
export { createUpstashKv, createUpstashRedis, type UpstashClientOptions, type UpstashKv, type UpstashKvOptions } from './upstash.js';
export { createKv, type CreateKvOptions } from './create-kv.js';
