/**
 * Webhooks as one instance uses them: the secret box, the SSRF guard and the
 * deliverer, and when to drain. The outbox is drained
 *
 * - in the background right after a write that queued deliveries
 *   (`drainSoon()`, handed to `waitUntil`, never awaited by the request);
 * - by any later request to this instance once the earliest delivery it knows
 *   of is due (`isDue()`, checked by the request path, at most every 5 s);
 * - by `GET /api/cron/webhooks` (Vercel Cron), which drains whatever is due
 *   on any instance: the backstop for an instance that froze.
 *
 * Drains on several instances at once are safe (see deliverer.ts).
 */
import type { Db } from '../db/types.js';
import type { Logger } from '../log.js';
import { createDeliverer, type DeliveryObserver, type DrainReport } from './deliverer.js';
import { systemResolver } from './resolver.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './schedule.js';
import { createSecretBox, type SecretBox } from './secret-box.js';
import type { WebhookTransport } from './transport.js';
import { createUrlGuard, type Resolver, type UrlGuard } from './url-guard.js';

/** Who started a drain, as counted in `webhook_drains_total{trigger}`. */
export type DrainTrigger = 'write' | 'request' | 'cron';

export interface WebhooksObserver extends DeliveryObserver {
  drain(trigger: DrainTrigger, outcome: DrainReport['outcome'] | 'failed'): void;
}

export interface WebhooksOptions {
  db: Db;
  /** IRIS_ENCRYPTION_KEY; null leaves webhooks unavailable (the routes say so, nothing is delivered). */
  encryptionKey: Uint8Array<ArrayBuffer> | null;
  /** IRIS_ENCRYPTION_KEY_PREVIOUS: secrets sealed under these still open, and are sealed again at their next delivery. @default [] */
  previousEncryptionKeys?: readonly Uint8Array<ArrayBuffer>[];
  /** Local mode: loopback receivers and http:// to them are allowed (the local server, tests). @default false */
  allowLoopback?: boolean;
  /** Resolves webhook hosts for the SSRF guard. @default the system resolver (node:dns) */
  resolve?: Resolver;
  /** @default the Node transport (node:http(s), guarded lookups), loaded on first use */
  transport?: WebhookTransport;
  /** Overrides of the retry schedule (tests shorten nothing: they move the clock). */
  policy?: Partial<RetryPolicy>;
  /** Epoch ms. @default Date.now */
  now?: () => number;
  /** In [0, 1). @default Math.random */
  random?: () => number;
  observer: WebhooksObserver;
  log: Logger;
  /** Hands a promise to the platform's background work (waitUntil) and returns the tracked promise. */
  runInBackground: (label: string, task: () => Promise<unknown>) => Promise<void>;
  /** `User-Agent` of deliveries, e.g. `Iris-Webhooks/0.1.0`. */
  userAgent: string;
  /** Longest one delivery request may take, in ms. @default 10_000 */
  timeoutMs?: number;
  /** How long a claimed delivery is held, in ms. @default 60_000 */
  leaseMs?: number;
  /** Deliveries claimed and sent concurrently per batch. @default 10 */
  batchSize?: number;
  /** Time budget of a background drain, in ms (no batch starts after it). @default 10_000 */
  backgroundBudgetMs?: number;
  /** Shortest time between two drains started by requests, in ms. @default 5_000 */
  minIntervalMs?: number;
}

export interface Webhooks {
  /** Encrypts and decrypts endpoint secrets; null without IRIS_ENCRYPTION_KEY. */
  readonly box: SecretBox | null;
  readonly guard: UrlGuard;
  /** Drains what is due within `budgetMs`; rejects when the database fails. */
  drain(budgetMs: number, trigger: DrainTrigger): Promise<DrainReport>;
  /**
   * Drains in the background (coalesced: a drain already running runs once
   * more instead of a second one starting). Returns the tracked promise,
   * which never rejects; callers on the request path do not await it.
   */
  drainSoon(trigger?: Exclude<DrainTrigger, 'cron'>): Promise<void>;
  /** True when a delivery this instance knows of is due and no drain is running (cheap: no I/O). */
  isDue(): boolean;
}

export function createWebhooks(options: WebhooksOptions): Webhooks {
  const now = options.now ?? Date.now;
  const box = options.encryptionKey ? createSecretBox(options.encryptionKey, { previous: options.previousEncryptionKeys ?? [] }) : null;
  const allowLoopback = options.allowLoopback ?? false;
  const guard = createUrlGuard({ resolve: options.resolve ?? systemResolver(), allowLoopback });
  const backgroundBudgetMs = options.backgroundBudgetMs ?? 10_000;
  const minIntervalMs = options.minIntervalMs ?? 5_000;
  const deliverer = createDeliverer({
    db: options.db,
    box,
    guard,
    transport: async () =>
      options.transport ??
      (await import('./node-transport.js')).createNodeTransport({ refuseAddress: (address) => guard.refuseAddress(address) }),
    policy: { ...DEFAULT_RETRY_POLICY, ...options.policy },
    now,
    random: options.random ?? Math.random,
    observer: options.observer,
    log: options.log,
    userAgent: options.userAgent,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });

  /** When this instance should drain next (epoch ms); Infinity until it has queued or seen a delivery. */
  let nextDueMs = Number.POSITIVE_INFINITY;
  let running: Promise<void> | null = null;
  let again = false;

  async function drain(budgetMs: number, trigger: DrainTrigger): Promise<DrainReport> {
    try {
      const report = await deliverer.drain(budgetMs);
      const next = report.backlog.nextDueAt === null ? Number.POSITIVE_INFINITY : Date.parse(report.backlog.nextDueAt);
      nextDueMs = Math.max(next, now() + minIntervalMs);
      options.observer.drain(trigger, report.outcome);
      return report;
    } catch (error) {
      nextDueMs = now() + minIntervalMs;
      options.observer.drain(trigger, 'failed');
      throw error;
    }
  }

  return {
    box,
    guard,
    drain,
    drainSoon(trigger = 'write') {
      if (running) {
        again = true;
        return running;
      }
      const task = async () => {
        // At most three rounds per task: writes that keep coming get their own task.
        for (let round = 0; round < 3; round++) {
          again = false;
          await drain(backgroundBudgetMs, trigger);
          if (!again) break;
        }
      };
      const tracked = options.runInBackground('webhooks.drain', task);
      running = tracked.finally(() => {
        running = null;
      });
      return running;
    },
    isDue() {
      return running === null && now() >= nextDueMs;
    },
  };
}
