/**
 * A whole Iris instance for route tests: real PGlite with the real migrations,
 * the real api/ modules routed by the file tree, services injected per instance.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../lib/config.js';
import { createPgliteDb } from '../../lib/db/pglite.js';
import type { Db, SqlDb } from '../../lib/db/types.js';
import type { TieredCacheOptions } from '../../lib/cache/index.js';
import type { KvStore } from '../../lib/kv/index.js';
import { createLogger } from '../../lib/log.js';
import { createFileRouter, loadFileRoutes, matchRoute, type FileRoute } from '../../lib/server/index.js';
import { createServices, type Services, type ServicesOptions } from '../../lib/services.js';
import { contractChecker } from './contract.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** IRIS_ENCRYPTION_KEY of test apps (32 bytes, base64), so the webhook routes work. */
export const ENCRYPTION_KEY = 'dGVzdC1lbmNyeXB0aW9uLWtleS0zMi1ieXRlcy0hISE=';
export const API_DIR = fileURLToPath(new URL('../../api', import.meta.url));

let routesPromise: Promise<FileRoute[]> | null = null;
export const apiRoutes = () => (routesPromise ??= loadFileRoutes(API_DIR));

export interface TestProject {
  id: string;
  name: string;
  key: string;
  keyId: string;
}

export interface TestApp {
  services: Services;
  db: SqlDb;
  /** Sends a request to the app; `path` is relative to the origin. */
  request(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  /** Creates a project (with optional settings, such as rate limits) and a key for it through the admin API. */
  createProject(name: string, settings?: Record<string, unknown>): Promise<TestProject>;
  /** Logs written by the app, for tests that grep them for secrets. */
  logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Share one database between several simulated instances. */
  db?: SqlDb;
  /** What the services see of the database, such as a chaos Db around it (lib/db/testing.ts); `TestApp.db` stays the database itself. */
  wrapDb?: (db: SqlDb) => Db;
  /** Share one KV between several simulated instances. */
  kv?: KvStore;
  /** Options of the tiered cache, such as a shorter generation check. */
  cache?: Partial<TieredCacheOptions>;
  /** Options of the database guard: its budget's timer, breaker thresholds. */
  dbGuard?: ServicesOptions['dbGuard'];
  now?: () => number;
  /** Local mode (`Services.local`), as the benchmarks' own servers run: webhooks may go to loopback receivers. @default false */
  local?: boolean;
  /** Webhook options: the resolver, the transport, randomness, timeouts. */
  webhooks?: ServicesOptions['webhooks'];
  /** Options of the detailed health check's probes: their timers, budgets. */
  health?: ServicesOptions['health'];
  /** Validate every response against the OpenAPI document (test/support/contract.ts). @default true */
  contract?: boolean;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createPgliteDb({ dataDir: null }));
  const logs: string[] = [];
  const services = await createServices({
    // Tests send many requests from one (absent) client IP; the IP limit has its own tests.
    config: loadConfig({ IRIS_ADMIN_TOKEN: ADMIN_TOKEN, IRIS_IP_LIMIT_PER_MINUTE: '1000000', IRIS_ENCRYPTION_KEY: ENCRYPTION_KEY, ...options.env }),
    db: options.wrapDb ? options.wrapDb(db) : db,
    log: createLogger({ level: 'debug', write: (line) => logs.push(line) }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.kv ? { kv: options.kv } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    ...(options.dbGuard ? { dbGuard: options.dbGuard } : {}),
    ...(options.local ? { local: true } : {}),
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    ...(options.health ? { health: options.health } : {}),
    processMetrics: false,
  });
  const routes = await apiRoutes();
  const fetch = createFileRouter(routes, { services });
  const contract = options.contract === false ? null : contractChecker();

  const request: TestApp['request'] = (path, init = {}) => {
    const { key, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    let body = rest.body;
    if (json !== undefined) {
      body = JSON.stringify(json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const req = new Request(`http://iris.test${path}`, { ...rest, headers, body });
    const sent = Promise.resolve(fetch(req));
    if (!contract) return sent;
    return sent.then(async (response) => {
      const pathname = new URL(req.url).pathname;
      // The body read once, as text, and handed back in a Response like the one received (cheaper than a clone).
      const text = response.body === null ? undefined : await response.text();
      await contract.check(req.method, pathname, response, matchRoute(routes, pathname)?.path, text ?? '');
      return text === undefined ? response : new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    });
  };

  return {
    services,
    db,
    logs,
    request,
    async createProject(name, settings) {
      const p = await request('/api/admin/projects', { method: 'POST', key: ADMIN_TOKEN, json: { name, ...(settings ? { settings } : {}) } });
      if (p.status !== 201) throw new Error(`create project: ${p.status} ${await p.text()}`);
      const project = (await p.json()) as { id: string; name: string };
      const k = await request('/api/admin/api-keys', {
        method: 'POST',
        key: ADMIN_TOKEN,
        json: { projectId: project.id, label: 'test' },
      });
      if (k.status !== 201) throw new Error(`create key: ${k.status} ${await k.text()}`);
      const key = (await k.json()) as { id: string; key: string };
      return { id: project.id, name: project.name, key: key.key, keyId: key.id };
    },
    async close() {
      await services.close();
    },
  };
}

/** Row counts of every tenant table, per project: a fingerprint that must not move when a request is refused. */
export async function rowCounts(db: SqlDb): Promise<Record<string, number>> {
  const rows = await db.query<{ t: string; n: number }>(`
    select 'model_runs' as t, count(*)::int as n from model_runs
    union all select 'expert_signatures', coalesce(sum(usage_count), 0)::int + count(*)::int from expert_signatures
    union all select 'reflexions', count(*)::int from reflexions
    union all select 'iris_reports', count(*)::int from iris_reports
    union all select 'projects', count(*)::int from projects
    union all select 'api_keys', count(*)::int + count(revoked_at)::int from api_keys
    union all select 'webhook_endpoints', count(*)::int + count(disabled_at)::int from webhook_endpoints
    union all select 'webhook_events', count(*)::int from webhook_events
    union all select 'webhook_deliveries', count(*)::int from webhook_deliveries
    union all select 'model_prices', count(*)::int from model_prices
    union all select 'unknown_models', coalesce(sum(runs), 0)::int + count(*)::int from unknown_models
    union all select 'budgets', count(*)::int + count(nullif(updated_at, created_at))::int from budgets
    union all select 'budget_crossings', count(*)::int from budget_crossings
    union all select 'prompts', count(*)::int from prompts
    union all select 'prompt_versions', count(*)::int + count(nullif(status, 'draft'))::int from prompt_versions
    union all select 'prompt_label_moves', count(*)::int from prompt_label_moves
    union all select 'experiments', count(*)::int + count(nullif(updated_at, created_at))::int from experiments`);
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/** A run body clients would send. */
export function sampleRun(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    expertId: 'planner',
    agentId: 'agent-1',
    model: 'gpt-4o-mini',
    promptVersion: 'v3',
    inputTokens: 800,
    outputTokens: 200,
    costUsd: 0.0012,
    latencyMs: 420,
    confidence: 0.9,
    outcome: 'success',
    ...overrides,
  };
}
