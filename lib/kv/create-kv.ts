import type { KvConfig } from '../config.js';
import { createMemoryKv, type MemoryKv, type MemoryKvOptions } from './memory.js';
import { createUpstashKv, type UpstashKv, type UpstashClientOptions } from './upstash.js';

export interface CreateKvOptions {
  /** Bounds and clock of the embedded store, used when `config.kind` is `memory`. */
  memory?: MemoryKvOptions;
  /** Time budgets of the Upstash store, used when `config.kind` is `upstash`. */
  upstash?: Omit<UpstashClientOptions, 'url' | 'token'> & {
    /**
     * Budget in ms for one call, as `UpstashKvOptions.timeoutMs`.
     * @default 50
     */
    timeoutMs?: number;
  };
}

/**
 * The `KvStore` the configuration asks for: Upstash Redis over REST when a KV
 * URL and token are set, else the embedded in-memory store. Narrow on `kind`
 * to reach `redis` (for @upstash/ratelimit) or `stats()`.
 * @example
 * const kv = createKv(loadConfig().kv);
 */
export function createKv(config: KvConfig, options: CreateKvOptions = {}): MemoryKv | UpstashKv {
  if (config.kind === 'memory') return createMemoryKv(options.memory);
  return createUpstashKv({ ...options.upstash, url: config.url, token: config.token });
}
