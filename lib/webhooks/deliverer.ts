/**
 * The deliverer: claims due deliveries from the outbox, sends each one signed
 * (Standard Webhooks) to a URL the SSRF guard accepts at that moment, and
 * records what came of it, with the retry schedule of schedule.ts. Several
 * deliverers (instances, a cron run and a background drain) may run at once:
 * the claim (`FOR UPDATE SKIP LOCKED`, then a lease) gives each attempt to
 * one of them, and an outcome is recorded only for the attempt it claimed.
 *
 * Delivery is at least once: an instance that stops between sending and
 * recording leaves the delivery leased, and once the lease (60 s) runs out it
 * is sent again with the same `webhook-id`, by which receivers deduplicate.
 */
import type { ClaimedDeliveryRow, Db } from '../db/types.js';
import type { Logger } from '../log.js';
import { eventBody, eventTypeLabel } from './events.js';
import { nextAttemptAt, parseRetryAfter, type RetryPolicy } from './schedule.js';
import { secretContext, type SecretBox } from './secret-box.js';
import { webhookHeaders } from './signing.js';
import type { DeliveryResult, WebhookTransport } from './transport.js';
import type { UrlGuard } from './url-guard.js';

/** How one attempt went, as counted in `webhook_delivery_attempts_total{outcome}`. */
export type AttemptOutcome = 'success' | 'http_error' | 'timeout' | 'network_error' | 'blocked' | 'unreadable_secret';

/** What a deliverer reports, for metrics; every label value comes from a fixed set. */
export interface DeliveryObserver {
  attempt(eventType: string, outcome: AttemptOutcome): void;
  /** A delivery finished for good. */
  finished(eventType: string, status: 'succeeded' | 'failed'): void;
  backlog(due: number, waiting: number): void;
}

export interface DrainReport {
  /** Deliveries claimed (attempts started). */
  claimed: number;
  succeeded: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
  /** Deliveries that failed for good. */
  failed: number;
  /** `complete`: nothing more was due; `budget_exhausted`: time ran out with deliveries still due. */
  outcome: 'complete' | 'budget_exhausted';
  elapsedMs: number;
  /** The queue after the drain. */
  backlog: { due: number; waiting: number; nextDueAt: string | null };
}

export interface DelivererOptions {
  db: Db;
  /** Opens endpoint secrets; null when IRIS_ENCRYPTION_KEY is not configured (nothing is claimed). */
  box: SecretBox | null;
  guard: UrlGuard;
  /** The transport, loaded on first use (the Node one is imported lazily). */
  transport: () => Promise<WebhookTransport>;
  policy: RetryPolicy;
  /** Epoch ms. */
  now: () => number;
  /** In [0, 1). */
  random: () => number;
  observer: DeliveryObserver;
  log: Logger;
  /** Longest one request may take, in ms. @default 10_000 */
  timeoutMs?: number;
  /** How long a claim holds a delivery, in ms; above the request timeout. @default 60_000 */
  leaseMs?: number;
  /** Deliveries claimed (and sent concurrently) at a time. @default 10 */
  batchSize?: number;
  /** Bytes of a response body kept in the delivery log. @default 1_024 */
  maxResponseBytes?: number;
  /** `User-Agent` of deliveries. */
  userAgent: string;
}

export interface Deliverer {
  /** Sends what is due until nothing is, or `budgetMs` has passed (no batch starts after it). */
  drain(budgetMs: number): Promise<DrainReport>;
}

const iso = (ms: number) => new Date(ms).toISOString();
const MAX_ERROR_CHARS = 512;

interface Attempted {
  outcome: AttemptOutcome;
  status: number | null;
  error: string | null;
  response: string | null;
  retryAfter: string | null;
}

function fromResult(result: DeliveryResult): Attempted {
  switch (result.kind) {
    case 'response': {
      const ok = result.status >= 200 && result.status <= 299;
      const redirect = result.status >= 300 && result.status <= 399 ? ' (redirects are not followed: update the URL)' : '';
      return { outcome: ok ? 'success' : 'http_error', status: result.status, error: ok ? null : `HTTP ${result.status}${redirect}`, response: result.body, retryAfter: result.retryAfter };
    }
    case 'timeout':
      return { outcome: 'timeout', status: null, error: `timeout: ${result.message}`, response: null, retryAfter: null };
    case 'network':
      return { outcome: 'network_error', status: null, error: result.message, response: null, retryAfter: null };
    case 'blocked':
      return { outcome: 'blocked', status: null, error: `refused: ${result.message}`, response: null, retryAfter: null };
  }
}

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { db, box, guard, policy, now, random, observer, log } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchSize = options.batchSize ?? 10;
  const maxResponseBytes = options.maxResponseBytes ?? 1_024;
  if (leaseMs <= timeoutMs) throw new RangeError('leaseMs must be above timeoutMs: a lease must outlast the request it covers');
  let transport: Promise<WebhookTransport> | null = null;

  /**
   * Stores a secret that opened under a previous IRIS_ENCRYPTION_KEY sealed
   * again under the current one (compare-and-set: a concurrent re-seal wins
   * once). A failure is logged without any value and tried again at the
   * endpoint's next delivery; the delivery itself goes on either way.
   */
  async function reseal(row: ClaimedDeliveryRow, plaintext: string): Promise<void> {
    try {
      const after = await box!.seal(plaintext, secretContext(row.project_id, row.endpoint_id));
      await db.rpc('reseal_webhook_secret', {
        p_project_id: row.project_id,
        p_endpoint_id: row.endpoint_id,
        p_sealed_before: row.secret_ciphertext,
        p_sealed_after: after,
      });
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      log.warn('webhook secret not sealed again under the current IRIS_ENCRYPTION_KEY; tried again at its next delivery', {
        endpoint: row.endpoint_id,
        ...(typeof code === 'string' ? { code } : {}),
      });
    }
  }

  /**
   * The secret a rotation keeps signing with during its overlap (the claim
   * returns it only then), or none. One that no longer opens (its
   * IRIS_ENCRYPTION_KEY retired before the overlap ended) is left out: the
   * delivery is still signed with the current secret, and the log says why
   * without any value.
   */
  async function previousSecret(row: ClaimedDeliveryRow, sealed: string | undefined): Promise<string[]> {
    // Equal to the current one when a rotation landed between the claim and the lookup: one signature is enough.
    if (sealed === undefined || sealed === row.secret_ciphertext) return [];
    const opened = await box!.open(sealed, secretContext(row.project_id, row.endpoint_id));
    if (opened.ok) return [opened.plaintext];
    log.warn("webhook signed without the endpoint's previous secret: it cannot be decrypted", { endpoint: row.endpoint_id, reason: opened.reason });
    return [];
  }

  /** The sealed previous secrets of the batch's endpoints whose rotation overlap lasts (one query per batch). */
  async function previousSecrets(rows: ClaimedDeliveryRow[]): Promise<Map<string, string>> {
    if (rows.length === 0) return new Map();
    const endpoints = [...new Set(rows.map((row) => row.endpoint_id))];
    const found = await db.rpc('webhook_previous_secrets', { p_endpoint_ids: endpoints, p_now: iso(now()) });
    return new Map(found.map((row) => [row.endpoint_id, row.previous_secret_ciphertext]));
  }

  async function attempt(row: ClaimedDeliveryRow, startedMs: number, previous: string | undefined): Promise<Attempted> {
    const opened = await box!.open(row.secret_ciphertext, secretContext(row.project_id, row.endpoint_id));
    if (!opened.ok) {
      const why = opened.reason === 'other_key' ? 'it was encrypted under another IRIS_ENCRYPTION_KEY' : `the stored value is ${opened.reason}`;
      return { outcome: 'unreadable_secret', status: null, error: `not sent: the endpoint's secret cannot be decrypted (${why})`, response: null, retryAfter: null };
    }
    if (opened.underPreviousKey) await reseal(row, opened.plaintext);
    // Checked again now: the name may resolve elsewhere than when the endpoint was created.
    const verdict = await guard.check(row.url);
    if (!verdict.ok) return { outcome: 'blocked', status: null, error: `not sent: ${verdict.message}`, response: null, retryAfter: null };
    const body = eventBody(row.event_type, row.event_created_at, row.payload);
    let signed: Record<string, string>;
    try {
      signed = await webhookHeaders([opened.plaintext, ...(await previousSecret(row, previous))], { id: row.event_id, timestampS: Math.floor(startedMs / 1000), body });
    } catch {
      // Decrypted, but not a whsec_ secret: nothing Iris wrote.
      return { outcome: 'unreadable_secret', status: null, error: "not sent: the endpoint's decrypted secret is not a whsec_ secret", response: null, retryAfter: null };
    }
    const headers = { ...signed, 'content-type': 'application/json', 'user-agent': options.userAgent };
    transport ??= options.transport();
    return fromResult(await (await transport).send({ url: verdict.url, headers, body, timeoutMs, maxResponseBytes }));
  }

  async function deliver(row: ClaimedDeliveryRow, report: DrainReport, previous: string | undefined): Promise<void> {
    const type = eventTypeLabel(row.event_type);
    const startedMs = now();
    let done: Attempted;
    let outcome: 'succeeded' | 'retry' | 'failed';
    let next: number | null = null;
    if (row.attempt > policy.maxAttempts) {
      // Claimed again after the last attempt's lease ran out: that attempt counted.
      done = { outcome: 'network_error', status: null, error: 'not sent: the last attempt was interrupted and no attempts are left', response: null, retryAfter: null };
      outcome = 'failed';
    } else {
      done = await attempt(row, startedMs, previous);
      observer.attempt(type, done.outcome);
      if (done.outcome === 'success') {
        outcome = 'succeeded';
      } else if (done.status === 410) {
        // 410 Gone: the receiver wants no more (the spec: disable the endpoint).
        outcome = 'failed';
        done.error = 'HTTP 410: the receiver is gone; the endpoint is now disabled';
      } else {
        const at = now();
        next = nextAttemptAt(policy, { attempt: row.attempt, queuedAtMs: Date.parse(row.created_at), nowMs: at, random: random(), retryAfterMs: parseRetryAfter(done.retryAfter, at) });
        outcome = next === null ? 'failed' : 'retry';
      }
    }
    const [recorded] = await db.rpc('record_webhook_attempt', {
      p_delivery_id: row.id,
      p_attempt: row.attempt,
      p_outcome: outcome,
      p_at: iso(now()),
      p_next_attempt_at: next === null ? null : iso(next),
      p_status: done.status,
      p_error: done.error === null ? null : done.error.slice(0, MAX_ERROR_CHARS),
      p_response: done.response,
    });
    if (done.status === 410) await db.rpc('disable_webhook_endpoint', { p_project_id: row.project_id, p_id: row.endpoint_id, p_reason: 'gone' });
    if (!recorded) {
      // The lease ran out during the attempt and another deliverer owns the delivery now.
      log.warn('webhook attempt outcome not recorded: the claim had expired', { delivery: row.id, attempt: row.attempt });
      return;
    }
    if (recorded.status === 'pending') report.retried += 1;
    else {
      report[recorded.status === 'succeeded' ? 'succeeded' : 'failed'] += 1;
      observer.finished(type, recorded.status === 'succeeded' ? 'succeeded' : 'failed');
    }
  }

  return {
    async drain(budgetMs) {
      const started = now();
      const report: DrainReport = { claimed: 0, succeeded: 0, retried: 0, failed: 0, outcome: 'complete', elapsedMs: 0, backlog: { due: 0, waiting: 0, nextDueAt: null } };
      if (box) {
        for (;;) {
          if (now() - started >= budgetMs) {
            report.outcome = 'budget_exhausted';
            break;
          }
          const rows = await db.rpc('claim_webhook_deliveries', { p_now: iso(now()), p_limit: batchSize, p_lease_seconds: Math.ceil(leaseMs / 1000) });
          report.claimed += rows.length;
          const previous = await previousSecrets(rows);
          // Every attempt of the batch finishes (and is recorded) before a failure is passed on.
          const settled = await Promise.allSettled(rows.map((row) => deliver(row, report, previous.get(row.endpoint_id))));
          const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
          if (failure) throw failure.reason;
          if (rows.length < batchSize) break;
        }
      }
      const [backlog] = await db.rpc('webhook_backlog', { p_now: iso(now()) });
      report.backlog = { due: backlog?.due ?? 0, waiting: backlog?.waiting ?? 0, nextDueAt: backlog?.next_due_at ?? null };
      observer.backlog(report.backlog.due, report.backlog.waiting);
      report.elapsedMs = now() - started;
      return report;
    },
  };
}
