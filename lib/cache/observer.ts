import type { KvOp } from '../kv/index.js';
import type { CircuitState } from './circuit-breaker.js';

/** The two tiers: this instance's memory, the shared KV. */
export type CacheLayer = 'l1' | 'l2';

/**
 * Why a KV call did not give an answer: it timed out (the cache's own budget
 * or the store's), failed, or was not attempted because the circuit is open.
 */
export type KvFailureReason = 'timeout' | 'error' | 'circuit_open';

/**
 * What the cache reports. Exactly one outcome event (`hit`, `miss`,
 * `coalesced`, `stale`, `bypass`, `unavailable`) per `getOrCompute` call, plus
 * KV, refresh and circuit events as they happen. `resource` is the bounded
 * resource name (never a project id), safe as a metric label.
 */
export type CacheEvent =
  | { type: 'hit'; layer: CacheLayer; resource: string }
  | { type: 'miss'; resource: string }
  | { type: 'coalesced'; scope: 'local' | 'fleet'; resource: string }
  /** A stale copy served: while one refresh runs (`swr`), after the compute failed (`error`), or after it took longer than `softTimeoutMs` (`timeout`). */
  | { type: 'stale'; reason: 'swr' | 'error' | 'timeout'; resource: string }
  | { type: 'bypass'; resource: string }
  /** The compute failed with no copy inside its grace window: the caller gets a 503. */
  | { type: 'unavailable'; resource: string }
  /** A background stale-while-revalidate refresh finished. */
  | { type: 'refresh'; outcome: 'ok' | 'error'; resource: string }
  /** A value was not stored in, or not read from, a layer. */
  | { type: 'skipped'; layer: CacheLayer; reason: 'too_large' | 'corrupt'; resource: string }
  | { type: 'kvError'; op: KvOp; reason: KvFailureReason }
  | { type: 'kvDuration'; op: KvOp; seconds: number }
  | { type: 'circuit'; state: CircuitState };

/**
 * Receives cache events, for metrics. Keeps lib/cache free of a metrics
 * dependency: the wiring maps events to counters and histograms. Must be cheap
 * and must not throw (a throw is swallowed).
 */
export interface CacheObserver {
  record(event: CacheEvent): void;
}

/** The default observer: drops every event. */
export const NOOP_OBSERVER: CacheObserver = Object.freeze({ record: () => {} });

/** `observer.record`, with any exception swallowed: observing never breaks a read. */
export function safeRecord(observer: CacheObserver, event: CacheEvent): void {
  try {
    observer.record(event);
  } catch {
    // Observability must not fail the request it observes.
  }
}
