/**
 * Migration 0008 (token parts, prices, cost sources, unknown models) on a real
 * PostgreSQL 15: the pricing contract, in a database of its own.
 */
import { beforeAll, describe } from 'vitest';
import { createPostgresDb } from '../../lib/db/postgres.js';
import { runPricingContract } from '../../lib/pricing/contract.js';
import { testDatabases } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('pricing on PostgreSQL 15', () => {
  const dbs = testDatabases(adminUrl, 'iris_pricing');
  let url = '';
  beforeAll(async () => {
    url = await dbs.createMigrated();
  });
  runPricingContract('postgres', async () => createPostgresDb({ url, poolMax: 4 }));
});
