import { describe, expect, it } from 'vitest';
import { runDbContract } from './contract.js';
import { DbError } from './errors.js';
import { createPgliteDb } from './pglite.js';

runDbContract('pglite', () => createPgliteDb({ dataDir: null }));

describe('createPgliteDb', () => {
  it('starts without tables when told not to migrate', async () => {
    const db = await createPgliteDb({ migrate: false });
    try {
      const error = await db.rpc('list_projects', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).sqlState).toBe('42883');
    } finally {
      await db.close();
    }
  });
});
