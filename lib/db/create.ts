import type { DbConfig } from '../config.js';
import type { Db } from './types.js';

/**
 * Builds the Db adapter the configuration names. Adapters are imported lazily so
 * a deployment that talks to Supabase never loads PGlite or postgres.js.
 */
export async function createDb(config: DbConfig): Promise<Db> {
  switch (config.kind) {
    case 'supabase': {
      const { createSupabaseDb } = await import('./supabase.js');
      return createSupabaseDb({ url: config.url, serviceRoleKey: config.serviceRoleKey, timeoutMs: config.timeoutMs });
    }
    case 'postgres': {
      const { createPostgresDb } = await import('./postgres.js');
      const { url, poolMax, connectTimeoutMs, statementTimeoutMs, pooler } = config;
      // Unset (a hand-built config), each adapter applies its own default, the same as the environment's.
      return createPostgresDb({ url, poolMax, connectTimeoutMs, statementTimeoutMs, pooler });
    }
    case 'pglite': {
      const { createPgliteDb } = await import('./pglite.js');
      return createPgliteDb({ dataDir: config.dataDir });
    }
  }
}
