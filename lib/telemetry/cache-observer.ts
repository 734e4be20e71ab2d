import type { CacheEvent, CacheObserver } from '../cache/index.js';
import type { Instruments } from './instruments.js';

/**
 * Maps the cache's typed events onto Iris's metrics. Every cached read starts
 * at L1, so each outcome records one L1 lookup, and reads that went on to L2
 * record one L2 lookup: hit rate = (L1 hits + L2 hits) / L1 lookups.
 */
export function cacheObserver(metrics: Instruments, hasL2: boolean): CacheObserver {
  const l1Miss = () => {
    metrics.cacheLookup('l1', 'miss');
  };
  return {
    record(event: CacheEvent) {
      switch (event.type) {
        case 'hit':
          if (event.layer === 'l1') metrics.cacheLookup('l1', 'hit');
          else {
            l1Miss();
            metrics.cacheLookup('l2', 'hit');
          }
          break;
        case 'miss':
          l1Miss();
          if (hasL2) metrics.cacheLookup('l2', 'miss');
          break;
        case 'stale':
          metrics.cacheLookup('l1', 'stale');
          metrics.cacheStale(event.reason === 'swr' ? 'revalidate' : event.reason);
          break;
        case 'coalesced':
          l1Miss();
          metrics.cacheCoalesced(event.scope);
          break;
        case 'unavailable':
          l1Miss();
          break;
        case 'kvError':
          metrics.kvError(event.op, event.reason);
          break;
        case 'kvDuration':
          metrics.kvOperation(event.op, event.seconds);
          break;
        case 'circuit':
          metrics.circuit('kv', event.state);
          break;
        default:
          // bypass, refresh and skipped carry no lookup.
          break;
      }
    },
  };
}
