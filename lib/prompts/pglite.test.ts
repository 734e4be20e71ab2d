import { createPgliteDb } from '../db/pglite.js';
import { runPromptsContract } from './contract.js';

runPromptsContract('pglite', () => createPgliteDb({ dataDir: null }));
