/**
 * Migration 0010 (prompts, labels, experiments and their results) on a real
 * PostgreSQL 15: the prompts contract, in a database of its own.
 */
import { beforeAll, describe } from 'vitest';
import { createPostgresDb } from '../../lib/db/postgres.js';
import { runPromptsContract } from '../../lib/prompts/contract.js';
import { testDatabases } from './harness/index.js';

const adminUrl = process.env.IRIS_TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('prompts on PostgreSQL 15', () => {
  const dbs = testDatabases(adminUrl, 'iris_prompts');
  let url = '';
  beforeAll(async () => {
    url = await dbs.createMigrated();
  });
  runPromptsContract('postgres', async () => createPostgresDb({ url, poolMax: 4 }));
});
