import { createBackground, type Background } from './background.js';
import { loadConfig, type Config } from './config.js';
import { createDb } from './db/create.js';
import { DbError } from './db/errors.js';
import { createGuardedDb, type GuardedDbOptions } from './db/guarded.js';
import type { Db } from './db/types.js';
import { createKeyUsage, createKeyVerifier, type KeyUsage, type KeyVerifier } from './auth/index.js';
import {
  createCircuitBreaker,
  createTieredCache,
  KV_BUDGET_DEFAULTS,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type TieredCache,
  type TieredCacheOptions,
} from './cache/index.js';
import { createKv, type KvStore } from './kv/index.js';
// Not through lib/http/index.js: that also exports route.ts, which imports this module.
import { isOutage, loggableError } from './http/error-map.js';
import { createHealthProbe, type HealthProbe, type HealthProbeOptions } from './health/index.js';
import { createLogger, type Logger } from './log.js';
import { createRateLimiter, type RateLimiter } from './rate-limit/index.js';
import { flushTracing, startTracing, traceDb, traceKv, traceLogFields, tracingOn } from './tracing/index.js';
import { cacheObserver, createFleet, createInstruments, instrumentDb, type Fleet, type Instruments } from './telemetry/index.js';
import { createWebhooks, type Webhooks, type WebhooksOptions } from './webhooks/index.js';

/**
 * Everything a request handler needs, built once per instance (one Vercel
 * function instance, or one local server) and shared by every route.
 */
export interface Services {
  config: Config;
  /** The database as requests use it: instrumented, with a time budget per call and a circuit breaker (db/guarded.ts). */
  db: Db;
  /** The database's circuit breaker (state for health checks and tests). */
  dbCircuit: Pick<CircuitBreaker, 'state' | 'probeInMs'>;
  log: Logger;
  background: Background;
  keys: KeyVerifier;
  /** Per-key request counts, flushed in batches. */
  keyUsage: KeyUsage;
  kv: KvStore;
  /** The two-tier read cache (L1 in this instance, L2 in the KV). */
  cache: TieredCache;
  /** The detailed health check's probes of the database and the KV (GET /api/health/detailed). */
  health: HealthProbe;
  metrics: Instruments;
  /** Per-key and per-IP limits: fleet-wide on Redis, per instance in memory. */
  limiter: RateLimiter;
  fleet: Fleet;
  /** Webhook secrets, the SSRF guard and the outbox's deliverer (lib/webhooks). */
  webhooks: Webhooks;
  /** Random id of this instance, for the fleet view. */
  instanceId: string;
  /**
   * Local mode: set only by code that builds a throwaway server for itself (the
   * benchmarks' servers, tests), never by `npm run dev` or `npm start`, which
   * may face a network. It accepts any value of `X-Iris-Cache-Bypass`, serves
   * `/api/health/detailed` without a token when none is configured, and
   * (outside production) lets webhooks go to loopback receivers.
   */
  local: boolean;
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
  /** @default the store `config.kv` names */
  kv?: KvStore;
  /** Extra options of the tiered cache (tests inject clocks and sleeps). */
  cache?: Partial<TieredCacheOptions>;
  /** Extra options of the database guard: tests inject the budget's timer and breaker thresholds. */
  dbGuard?: Pick<GuardedDbOptions, 'schedule'> & { breaker?: Omit<CircuitBreakerOptions, 'now' | 'onStateChange'> };
  /** @default the limiter that matches the KV */
  limiter?: RateLimiter;
  /** @default Date.now */
  now?: () => number;
  /** See `Services.local`. @default false */
  local?: boolean;
  /** Register process gauges. @default true */
  processMetrics?: boolean;
  /**
   * Lets webhooks go to loopback receivers (`http://127.0.0.1:…`) outside production without the rest of
   * local mode: `npm run dev`, so a receiver on the same laptop can be tried. @default options.local
   */
  loopbackWebhooks?: boolean;
  /** Webhook options tests inject: the resolver, the transport, randomness, shorter timeouts. */
  webhooks?: Partial<Pick<WebhooksOptions, 'resolve' | 'transport' | 'random' | 'timeoutMs' | 'leaseMs' | 'batchSize' | 'policy' | 'minIntervalMs'>>;
  /** Options of the health probes: tests inject their clock, timers and budgets. */
  health?: Omit<HealthProbeOptions, 'db' | 'kv' | 'circuits'>;
}

export async function createServices(options: ServicesOptions = {}): Promise<Services> {
  const config = options.config ?? loadConfig();
  const instanceId = crypto.randomUUID();
  // Before anything makes a call: the SDK's fetch instrumentation must be in place for the first one.
  if (config.tracing) {
    const backends = [config.db.kind === 'supabase' ? config.db.url : null, config.kv.kind === 'upstash' ? config.kv.url : null];
    await startTracing({ config: config.tracing, version: config.version, instanceId, propagateTo: backends.filter((u) => u !== null) });
  }
  // On once an SDK is registered: by the configuration just now, or by whoever embeds Iris (tests register their own).
  const traced = tracingOn;
  const log = options.log ?? createLogger({ level: config.logLevel, ...(traced ? { context: traceLogFields } : {}) });
  const now = options.now ?? Date.now;
  const metrics = createInstruments({ version: config.version, processMetrics: options.processMetrics ?? true });
  const rawDb = options.db ?? (await createDb(config.db));
  const dbCircuit = createCircuitBreaker({
    cooldownMs: config.dbBudget.circuitCooldownMs,
    ...options.dbGuard?.breaker,
    now,
    onStateChange(state, previous) {
      metrics.circuit('db', state);
      // Once per change, never per request: requests refused meanwhile are counted in db_rejections_total.
      const fields = { state, previous, db: rawDb.kind };
      if (state === 'open') log.warn('database circuit opened: refusing database calls, serving cached reads from their copies', fields);
      else log.info(`database circuit ${state}`, fields);
    },
  });
  const instrumented = instrumentDb(rawDb, metrics);
  const guarded = createGuardedDb({
    db: instrumented,
    breaker: dbCircuit,
    timeoutMs: config.dbBudget.timeoutMs,
    onUnavailable: (_fn, reason) => metrics.dbRejection(reason),
    ...(options.dbGuard?.schedule ? { schedule: options.dbGuard.schedule } : {}),
  });
  // With tracing on, one span per call as the request sees it (its budget and the circuit included).
  const db = traced ? traceDb(guarded) : guarded;
  // The store's own deadline is the cache's answer deadline, not its budget: the cache gives up on a call at
  // its budget, and still needs to hear whether the answer came (a slow call) or not (a failure).
  const baseKv = options.kv ?? createKv(config.kv, { upstash: { timeoutMs: KV_BUDGET_DEFAULTS.answerDeadlineMs } });
  const kv = traced ? traceKv(baseKv) : baseKv;
  const background = createBackground({
    onError: (error, label) => {
      // A refresh or flush refused while the database is known down is counted, and the circuit logged its opening.
      if (error instanceof DbError && error.sqlState === 'circuit_open') return;
      log.error('background task failed', { task: label, ...loggableError(error) });
    },
  });
  const cache = createTieredCache({
    kv,
    now,
    background,
    log,
    observer: cacheObserver(metrics, true),
    // Across a fleet sharing Redis, one instance computes a cold key while the others wait for it in L2.
    fleetLock: kv.kind === 'upstash' ? {} : false,
    // An outage is what renders as a 5xx: a value the database refuses (SQLSTATE 22, 23) is the client's 4xx.
    isOutage,
    ...options.cache,
  });
  const health = createHealthProbe({
    // The adapter itself: the probe has its own budget and must ask even while the circuit is open.
    db: instrumented,
    kv,
    circuits: () => ({ db: dbCircuit.state, kv: cache.stats().circuit }),
    dbTimeoutMs: Math.min(1_000, config.dbBudget.timeoutMs),
    kvSlowMs: options.cache?.kvTimeoutMs ?? KV_BUDGET_DEFAULTS.timeoutMs,
    ...options.health,
  });
  const keyUsage = createKeyUsage({ db, now, runInBackground: (label, task) => void background.run(label, task) });
  const local = options.local ?? false;
  const webhooks = createWebhooks({
    db,
    encryptionKey: config.encryptionKey,
    previousEncryptionKeys: config.previousEncryptionKeys,
    // Loopback receivers only on the local server or `npm run dev`, and never in production.
    allowLoopback: (options.loopbackWebhooks ?? local) && !config.production,
    now,
    log,
    observer: {
      attempt: (type, outcome) => metrics.webhookAttempt(type, outcome),
      finished: (type, status) => metrics.webhookDelivery(type, status),
      backlog: (due, waiting) => metrics.webhookBacklog(due, waiting),
      drain: (trigger, outcome) => metrics.webhookDrain(trigger, outcome),
    },
    runInBackground: (label, task) => background.run(label, task),
    userAgent: `Iris-Webhooks/${config.version}`,
    ...options.webhooks,
  });
  return {
    config,
    db,
    dbCircuit,
    log,
    background,
    keys: createKeyVerifier({ db, cache }),
    keyUsage,
    kv,
    cache,
    health,
    metrics,
    limiter: options.limiter ?? createRateLimiter(kv, { now }),
    fleet: createFleet({ kv, registry: metrics.registry, instanceId, now }),
    webhooks,
    instanceId,
    local,
    startedAt: now(),
    now,
    async close() {
      await background.run('keys.usage.flush', () => keyUsage.flush());
      await background.drain();
      metrics.stop();
      if (traced) await flushTracing();
      await db.close();
    },
  };
}

let shared: Promise<Services> | null = null;
/** The same services once `shared` has resolved, for callers that must not wait. */
let started: Services | undefined;

/**
 * The instance-wide services, created on first use. A failed start-up is not
 * cached, so the next request retries instead of failing forever.
 */
export function getServices(): Promise<Services> {
  if (!shared) {
    const starting = createServices();
    shared = starting;
    starting.then(
      (services) => {
        if (shared === starting) started = services;
      },
      () => {
        if (shared === starting) shared = null;
      },
    );
  }
  return shared;
}

/** The instance-wide services if they have started, without waiting (the request path's synchronous start). */
export function startedServices(): Services | undefined {
  return started;
}

/** Installs services built elsewhere (the local server builds them before listening). */
export function setServices(services: Services): void {
  shared = Promise.resolve(services);
  started = services;
}
