import { createPgliteDb } from '../db/pglite.js';
import { runAnalyticsContract } from './contract.js';

runAnalyticsContract('pglite', () => createPgliteDb({ dataDir: null }));
