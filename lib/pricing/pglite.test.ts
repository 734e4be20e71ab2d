import { createPgliteDb } from '../db/pglite.js';
import { runPricingContract } from './contract.js';

runPricingContract('pglite', () => createPgliteDb({ dataDir: null }));
