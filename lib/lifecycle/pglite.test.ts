import { createPgliteDb } from '../db/pglite.js';
import { runLifecycleContract } from './contract.js';

runLifecycleContract('pglite', () => createPgliteDb({ dataDir: null }));
