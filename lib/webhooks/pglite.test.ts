import { createPgliteDb } from '../db/pglite.js';
import { runWebhookOutboxContract } from './contract.js';

runWebhookOutboxContract('pglite', () => createPgliteDb({ dataDir: null }));
