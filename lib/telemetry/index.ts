export { cacheObserver } from './cache-observer.js';
export { instrumentDb } from './db.js';
export { createFleet, type Fleet, type FleetOptions } from './fleet.js';
export {
  CIRCUIT_STATE_VALUE,
  createInstruments,
  DEPENDENCY_BUCKETS_S,
  HTTP_BUCKETS_S,
  type CircuitStateName,
  type Instruments,
  type InstrumentsOptions,
} from './instruments.js';
export { toJsonSummary, type JsonSummary } from './summary.js';
