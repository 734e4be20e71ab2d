import type { Db } from '../db/types.js';
import type { Instruments } from './instruments.js';

/**
 * Wraps a Db so every RPC is counted (`db_rpc_total{fn,result}`) and timed
 * (`db_rpc_duration_seconds{fn}`). Function names come from `RpcMap`, a fixed set.
 */
export function instrumentDb(db: Db, instruments: Instruments): Db {
  return {
    kind: db.kind,
    async rpc(name, args, options) {
      const started = performance.now();
      try {
        const rows = await db.rpc(name, args, options);
        instruments.recordDb(name, true, (performance.now() - started) / 1000);
        return rows;
      } catch (error) {
        instruments.recordDb(name, false, (performance.now() - started) / 1000);
        throw error;
      }
    },
    close: () => db.close(),
  };
}
