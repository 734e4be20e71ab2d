import { createBackground, type Background } from './background.js';
import { loadConfig, type Config } from './config.js';
import { createDb } from './db/create.js';
import type { Db } from './db/types.js';
import { createKeyVerifier, type KeyVerifier } from './auth/index.js';
import { createLogger, type Logger } from './log.js';

/**
 * Everything a request handler needs, built once per instance (one Vercel
 * function instance, or one local server) and shared by every route.
 */
export interface Services {
  config: Config;
  db: Db;
  log: Logger;
  background: Background;
  keys: KeyVerifier;
  /** Epoch ms when this instance started. */
  startedAt: number;
  /** Current time in epoch ms; injected in tests. */
  now: () => number;
  /** Waits for background work, then releases connections. */
  close(): Promise<void>;
}

/** What can be injected; anything left out is built from `config`. */
export interface ServicesOptions {
  /** @default loadConfig(process.env) */
  config?: Config;
  /** @default the adapter `config.db` names */
  db?: Db;
  /** @default a JSON logger at info level */
  log?: Logger;
  /** @default Date.now */
  now?: () => number;
}

export async function createServices(options: ServicesOptions = {}): Promise<Services> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger({ level: config.logLevel });
  const now = options.now ?? Date.now;
  const db = options.db ?? (await createDb(config.db));
  const background = createBackground({
    onError: (error, label) => log.error('background task failed', { task: label, error }),
  });
  return {
    config,
    db,
    log,
    background,
    keys: createKeyVerifier({ db }),
    startedAt: now(),
    now,
    async close() {
      await background.drain();
      await db.close();
    },
  };
}

let shared: Promise<Services> | null = null;

/**
 * The instance-wide services, created on first use. A failed start-up is not
 * cached, so the next request retries instead of failing forever.
 */
export function getServices(): Promise<Services> {
  if (!shared) {
    shared = createServices();
    shared.catch(() => {
      shared = null;
    });
  }
  return shared;
}

/** Installs services built elsewhere (the local server builds them before listening). */
export function setServices(services: Services): void {
  shared = Promise.resolve(services);
}
