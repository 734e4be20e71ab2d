/**
 * The behaviour suite of migration 0007 (the webhook outbox), run against
 * every SQL engine Iris supports: `runWebhookOutboxContract('pglite', makeDb)`
 * in the unit tests, against PostgreSQL 15 in the integration suite, where
 * concurrent claimers really run at once. It talks to the database through
 * `rpc()`, except where it must age a row or fill a backlog quickly; those
 * checks are skipped without `SqlDb.query`.
 *
 * Claims are global (every project's due deliveries), so each test counts
 * only its own project's deliveries and disables its endpoints when it ends,
 * which finishes whatever it left pending.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { DbError } from '../db/errors.js';
import { suiteDb } from '../db/testing.js';
import type { ClaimedDeliveryRow, Db, Uuid, WebhookDeliveryRow } from '../db/types.js';
import { createLogger } from '../log.js';
import { createDeliverer, type DeliveryObserver } from './deliverer.js';
import { DEFAULT_RETRY_POLICY } from './schedule.js';
import { createSecretBox, secretContext } from './secret-box.js';
import { generateSecret } from './signing.js';
import type { DeliveryRequest, DeliveryResult, WebhookTransport } from './transport.js';
import { createUrlGuard } from './url-guard.js';

const TYPE = 'budget.threshold_crossed';
const URL = 'https://hooks.example.com/iris';
const iso = (ms: number) => new Date(ms).toISOString();
const S = 1_000;

/** A transport that answers from a script, one result per request, and keeps what it was sent. */
function scriptedTransport(script: (request: DeliveryRequest, index: number) => DeliveryResult): WebhookTransport & { sent: DeliveryRequest[] } {
  const sent: DeliveryRequest[] = [];
  return {
    sent,
    send: async (request) => {
      sent.push(request);
      return script(request, sent.length - 1);
    },
  };
}

const ok: DeliveryResult = { kind: 'response', status: 204, body: '', retryAfter: null };
const fail = (status: number, body = 'nope'): DeliveryResult => ({ kind: 'response', status, body, retryAfter: null });
const silent: DeliveryObserver = { attempt: () => undefined, finished: () => undefined, backlog: () => undefined };

/** Registers the suite for one database; `makeDb` returns a migrated database. */
export function runWebhookOutboxContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`webhook outbox contract: ${name}`, () => {
    const suite = suiteDb(makeDb);
    const box = createSecretBox(crypto.getRandomValues(new Uint8Array(32)));
    const guard = createUrlGuard({ resolve: async () => ['93.184.215.14'] });
    /** Endpoints made by the running test, disabled after it. */
    let made: { projectId: Uuid; id: Uuid }[] = [];

    afterEach(async () => {
      for (const e of made) await suite.db.rpc('disable_webhook_endpoint', { p_project_id: e.projectId, p_id: e.id, p_reason: 'deleted' });
      made = [];
    });

    async function newProject(): Promise<Uuid> {
      const [project] = await suite.db.rpc('create_project', { p_name: `webhooks ${name}`, p_settings: {} });
      return project!.id;
    }

    async function endpoint(projectId: Uuid, eventTypes: string[] = [TYPE], secret = generateSecret()): Promise<{ id: Uuid; secret: string }> {
      const id = crypto.randomUUID();
      const [row] = await suite.db.rpc('create_webhook_endpoint', {
        p_project_id: projectId,
        p_id: id,
        p_url: URL,
        p_description: null,
        p_event_types: eventTypes,
        p_secret_ciphertext: await box.seal(secret, secretContext(projectId, id)),
      });
      expect(row?.id).toBe(id);
      made.push({ projectId, id });
      return { id, secret };
    }

    const enqueue = (projectId: Uuid, dedupeKey: string | null, data: Record<string, string | number> = { budgetId: 'b1' }) =>
      suite.db.rpc('enqueue_webhook_event', { p_project_id: projectId, p_type: TYPE, p_payload: data, p_dedupe_key: dedupeKey });

    const log = (projectId: Uuid, endpointId: Uuid, limit = 100) =>
      suite.db.rpc('list_webhook_deliveries', { p_project_id: projectId, p_endpoint_id: endpointId, p_limit: limit, p_before_created_at: null, p_before_id: null });

    /** Claims at `nowMs` until nothing is due, keeping only `projectId`'s deliveries (others' are recorded as retries far ahead). */
    async function claimAll(projectId: Uuid, nowMs: number, limit = 100): Promise<ClaimedDeliveryRow[]> {
      const mine: ClaimedDeliveryRow[] = [];
      for (;;) {
        const rows = await suite.db.rpc('claim_webhook_deliveries', { p_now: iso(nowMs), p_limit: limit, p_lease_seconds: 60 });
        mine.push(...rows.filter((r) => r.project_id === projectId));
        if (rows.length < limit) return mine;
      }
    }

    describe('enqueue', () => {
      it('stores an event once per dedupe key and queues one delivery per enabled endpoint subscribed to its type', async () => {
        const projectId = await newProject();
        const [a, b] = [await endpoint(projectId), await endpoint(projectId)];
        await endpoint(projectId, ['other.event']);
        const gone = await endpoint(projectId);
        await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: gone.id, p_reason: 'deleted' });

        const [first] = await enqueue(projectId, 'budget:b1:0.5:2026-12-01');
        expect(first).toEqual({ event_id: expect.any(String), deliveries: 2 });
        // The same key again, with other data: nothing new.
        expect(await enqueue(projectId, 'budget:b1:0.5:2026-12-01', { budgetId: 'other' })).toEqual([]);
        for (const e of [a, b]) expect((await log(projectId, e.id)).map((d) => [d.event_id, d.status, d.attempts])).toEqual([[first!.event_id, 'pending', 0]]);
        expect(await log(projectId, gone.id)).toEqual([]);
      });

      it('keeps dedupe keys per project, and never deduplicates a null key', async () => {
        const [p, q] = [await newProject(), await newProject()];
        expect(await enqueue(p, 'same-key')).toHaveLength(1);
        expect(await enqueue(q, 'same-key')).toHaveLength(1);
        expect(await enqueue(p, null)).toHaveLength(1);
        expect(await enqueue(p, null)).toHaveLength(1);
        // No endpoint: the event is stored, with no delivery.
        expect((await enqueue(p, 'lonely'))[0]?.deliveries).toBe(0);
      });

      it('stores exactly one event when 50 callers enqueue the same key at once', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        const results = await Promise.all(Array.from({ length: 50 }, () => enqueue(projectId, 'budget:b1:1:2026-12-01')));
        expect(results.filter((rows) => rows.length === 1)).toHaveLength(1);
        expect(await log(projectId, e.id)).toHaveLength(1);
      });

      it('refuses a malformed type or payload and an unknown project, storing nothing', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        for (const [type, payload] of [
          ['Budget.Crossed', {}],
          ['nodot', {}],
          ['a.b; drop table webhook_events', {}],
        ] as const) {
          const error = await suite.db.rpc('enqueue_webhook_event', { p_project_id: projectId, p_type: type, p_payload: payload, p_dedupe_key: null }).catch((x: unknown) => x);
          expect(error, type).toBeInstanceOf(DbError);
          expect((error as DbError).sqlState, type).toBe('23514');
        }
        const big = await enqueue(projectId, null, { pad: 'x'.repeat(70_000) }).catch((x: unknown) => x);
        expect((big as DbError).sqlState).toBe('23514');
        const unknown = await enqueue(crypto.randomUUID(), 'k').catch((x: unknown) => x);
        expect((unknown as DbError).sqlState).toBe('23503');
        expect(await log(projectId, e.id)).toEqual([]);
      });

      it('stores deliveries past 1000 live ones of an endpoint as failed, with the reason', async (ctx) => {
        const sql = suite.sqlOrSkip(ctx);
        const projectId = await newProject();
        const e = await endpoint(projectId);
        await sql.query(
          `with v as (insert into webhook_events (project_id, type, payload) select $1, 'budget.threshold_crossed', '{}' from generate_series(1, 1000) returning id)
           insert into webhook_deliveries (project_id, event_id, endpoint_id, next_attempt_at) select $1, v.id, $2, now() + interval '1 hour' from v`,
          [projectId, e.id],
        );
        await enqueue(projectId, 'one too many');
        const [newest] = await log(projectId, e.id, 1);
        expect(newest).toMatchObject({ status: 'failed', attempts: 0, last_error: expect.stringContaining('1000 deliveries waiting') });
      });
    });

    describe('claims', () => {
      it('gives each due delivery to exactly one of four concurrent claimers', async () => {
        const projectId = await newProject();
        await endpoint(projectId);
        await endpoint(projectId);
        for (let i = 0; i < 30; i++) await enqueue(projectId, `k${i}`);
        const nowMs = Date.now() + S;
        const claimed = (await Promise.all(Array.from({ length: 4 }, () => claimAll(projectId, nowMs, 3)))).flat();
        const ids = claimed.map((r) => r.id);
        expect(ids).toHaveLength(60);
        expect(new Set(ids).size).toBe(60);
        expect(new Set(claimed.map((r) => r.attempt))).toEqual(new Set([1]));
      });

      it('leases a claim: not due again until the lease ends, then claimed as the next attempt; a stale outcome changes nothing', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        await enqueue(projectId, 'lease');
        const t = Date.now() + S;
        const [first] = await claimAll(projectId, t);
        expect(first).toMatchObject({ attempt: 1, url: URL, event_type: TYPE, payload: { budgetId: 'b1' } });
        expect(await claimAll(projectId, t + 59 * S)).toEqual([]);
        const [second] = await claimAll(projectId, t + 61 * S);
        expect(second).toMatchObject({ id: first!.id, attempt: 2 });
        // The first claimer comes back late: its outcome is not the delivery's any more.
        const late = await suite.db.rpc('record_webhook_attempt', {
          p_delivery_id: first!.id, p_attempt: 1, p_outcome: 'succeeded', p_at: iso(t + 62 * S), p_next_attempt_at: null, p_status: 200, p_error: null, p_response: null,
        });
        expect(late).toEqual([]);
        expect((await log(projectId, e.id))[0]).toMatchObject({ status: 'delivering', attempts: 2 });
      });

      it('records retries and outcomes, and pages the delivery log newest first', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        for (let i = 0; i < 5; i++) await enqueue(projectId, `page${i}`);
        const t = Date.now() + S;
        const claimed = await claimAll(projectId, t);
        expect(claimed).toHaveLength(5);
        const outcome = (row: ClaimedDeliveryRow, i: number) =>
          suite.db.rpc('record_webhook_attempt', {
            p_delivery_id: row.id,
            p_attempt: row.attempt,
            p_outcome: i === 0 ? 'retry' : i === 1 ? 'failed' : 'succeeded',
            p_at: iso(t + S),
            p_next_attempt_at: i === 0 ? iso(t + 31 * S) : null,
            p_status: i === 0 ? 503 : i === 1 ? 410 : 200,
            p_error: i < 2 ? 'e'.repeat(600) : null,
            p_response: 'r'.repeat(2000),
          });
        const recorded = (await Promise.all(claimed.map(outcome))).flat();
        expect(recorded.map((r) => r.status)).toEqual(['pending', 'failed', 'succeeded', 'succeeded', 'succeeded']);
        const all = await log(projectId, e.id);
        const retried = all.find((d) => d.id === claimed[0]!.id)!;
        expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_status: 503, next_attempt_at: expect.any(String), completed_at: null });
        expect(retried.last_error).toHaveLength(512);
        expect(retried.last_response).toHaveLength(1024);
        expect(all.find((d) => d.id === claimed[2]!.id)).toMatchObject({ status: 'succeeded', next_attempt_at: null, completed_at: expect.any(String) });
        // Keyset pages of two: every delivery once, newest first.
        const seen: string[] = [];
        let before: { created_at: string; id: string } | null = null;
        for (let i = 0; i < 5; i++) {
          const rows: WebhookDeliveryRow[] = await suite.db.rpc('list_webhook_deliveries', { p_project_id: projectId, p_endpoint_id: e.id, p_limit: 2, p_before_created_at: before?.created_at ?? null, p_before_id: before?.id ?? null });
          seen.push(...rows.map((r) => r.id));
          if (rows.length < 2) break;
          before = rows.at(-1)!;
        }
        expect(seen).toEqual(all.map((d) => d.id));
        expect(await claimAll(projectId, t + 30 * S)).toEqual([]);
        expect((await claimAll(projectId, t + 31 * S)).map((r) => [r.id, r.attempt])).toEqual([[claimed[0]!.id, 2]]);
      });

      it('refuses an unknown outcome and a retry without a time', async () => {
        const args = { p_delivery_id: crypto.randomUUID(), p_attempt: 1, p_at: iso(Date.now()), p_next_attempt_at: null, p_status: null, p_error: null, p_response: null };
        await expect(suite.db.rpc('record_webhook_attempt', { ...args, p_outcome: 'exploded' as 'failed' })).rejects.toMatchObject({ sqlState: '22023' });
        await expect(suite.db.rpc('record_webhook_attempt', { ...args, p_outcome: 'retry' })).rejects.toMatchObject({ sqlState: '22023' });
      });

      it('counts the backlog: due now, waiting for a later attempt, and the earliest due time', async () => {
        const projectId = await newProject();
        await endpoint(projectId);
        const t = Date.now() + 60 * S;
        const backlog = async () => (await suite.db.rpc('webhook_backlog', { p_now: iso(t) }))[0]!;
        const before = await backlog();
        await enqueue(projectId, 'b1');
        await enqueue(projectId, 'b2');
        expect((await backlog()).due - before.due).toBe(2);
        const [row] = await suite.db.rpc('claim_webhook_deliveries', { p_now: iso(t), p_limit: 1, p_lease_seconds: 60 });
        expect(row?.project_id).toBe(projectId);
        await suite.db.rpc('record_webhook_attempt', {
          p_delivery_id: row!.id, p_attempt: 1, p_outcome: 'retry', p_at: iso(t), p_next_attempt_at: iso(t + 3_600 * S), p_status: 500, p_error: null, p_response: null,
        });
        const after = await backlog();
        expect([after.due - before.due, after.waiting - before.waiting]).toEqual([1, 1]);
        expect(Date.parse(after.next_due_at!)).toBeLessThanOrEqual(t);
      });
    });

    describe('endpoints', () => {
      it('disables an endpoint once (first reason and time stay), finishes its pending deliveries and claims nothing more for it', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        await enqueue(projectId, 'x');
        const [disabled] = await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'gone' });
        expect(disabled).toMatchObject({ id: e.id, disabled_reason: 'gone', disabled_at: expect.any(String) });
        expect(disabled).not.toHaveProperty('secret_ciphertext');
        const [again] = await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'deleted' });
        expect(again).toEqual(disabled);
        expect((await log(projectId, e.id))[0]).toMatchObject({ status: 'failed', last_error: expect.stringContaining('disabled (gone)') });
        expect(await enqueue(projectId, 'y')).toEqual([{ event_id: expect.any(String), deliveries: 0 }]);
        expect(await suite.db.rpc('send_test_webhook', { p_project_id: projectId, p_endpoint_id: e.id })).toEqual([]);
        await expect(suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'bored' as 'gone' })).rejects.toMatchObject({ sqlState: '22023' });
      });

      it('ends a retry recorded after its endpoint was disabled, and a lease left behind by a vanished deliverer', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        await enqueue(projectId, 'a');
        await enqueue(projectId, 'b');
        const t = Date.now() + S;
        const [one, two] = await claimAll(projectId, t);
        await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'deleted' });
        const [recorded] = await suite.db.rpc('record_webhook_attempt', {
          p_delivery_id: one!.id, p_attempt: 1, p_outcome: 'retry', p_at: iso(t), p_next_attempt_at: iso(t + 30 * S), p_status: 500, p_error: 'HTTP 500', p_response: null,
        });
        expect(recorded).toMatchObject({ status: 'failed', next_attempt_at: null });
        // `two` is never recorded: once its lease is over, the next claim finishes it.
        await claimAll(projectId, t + 61 * S);
        expect((await log(projectId, e.id)).find((d) => d.id === two!.id)).toMatchObject({ status: 'failed', last_error: expect.stringContaining('disabled') });
      });

      it('allows at most 20 enabled endpoints per project', async () => {
        const projectId = await newProject();
        for (let i = 0; i < 20; i++) await endpoint(projectId);
        const args = { p_project_id: projectId, p_url: URL, p_description: 'one too many', p_event_types: [TYPE], p_secret_ciphertext: 'v1.x' };
        expect(await suite.db.rpc('create_webhook_endpoint', { ...args, p_id: crypto.randomUUID() })).toEqual([]);
        await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: made[0]!.id, p_reason: 'deleted' });
        const [row] = await suite.db.rpc('create_webhook_endpoint', { ...args, p_id: crypto.randomUUID() });
        expect(row).toMatchObject({ description: 'one too many', event_types: [TYPE], disabled_at: null });
        made.push({ projectId, id: row!.id });
      });

      it('never shows, tests or disables another project’s endpoint', async () => {
        const [a, b] = [await newProject(), await newProject()];
        const theirs = await endpoint(b);
        await enqueue(b, 'secret event');
        expect(await suite.db.rpc('get_webhook_endpoint', { p_project_id: a, p_id: theirs.id })).toEqual([]);
        expect(await suite.db.rpc('list_webhook_endpoints', { p_project_id: a, p_limit: 100, p_before_created_at: null, p_before_id: null })).toEqual([]);
        expect(await log(a, theirs.id)).toEqual([]);
        expect(await suite.db.rpc('send_test_webhook', { p_project_id: a, p_endpoint_id: theirs.id })).toEqual([]);
        expect(await suite.db.rpc('disable_webhook_endpoint', { p_project_id: a, p_id: theirs.id, p_reason: 'deleted' })).toEqual([]);
        expect((await suite.db.rpc('get_webhook_endpoint', { p_project_id: b, p_id: theirs.id }))[0]?.disabled_at).toBeNull();
        expect(await log(b, theirs.id)).toHaveLength(1);
      });

      it('deletes events older than 90 days with their deliveries, keeping any still live', async (ctx) => {
        const sql = suite.sqlOrSkip(ctx);
        const projectId = await newProject();
        const e = await endpoint(projectId);
        const [old] = await enqueue(projectId, 'old');
        const [live] = await enqueue(projectId, 'old but live');
        const [fresh] = await enqueue(projectId, 'fresh');
        await sql.query(`update webhook_events set created_at = now() - interval '91 days' where id in ($1::uuid, $2::uuid)`, [old!.event_id, live!.event_id]);
        await sql.query(`update webhook_deliveries set status = 'succeeded', next_attempt_at = null, completed_at = now() where event_id = $1`, [old!.event_id]);
        for (let i = 0; i < 100; i++) if ((await suite.db.rpc('delete_expired_webhook_events', { p_limit: 1000 }))[0]!.deleted < 1000) break;
        expect((await log(projectId, e.id)).map((d) => d.event_id).sort()).toEqual([live!.event_id, fresh!.event_id].sort());
      });
    });

    describe('the deliverer', () => {
      it('retries a receiver that fails three times on the backoff schedule, then records one success after 4 attempts, every one signed', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        const [event] = await enqueue(projectId, 'crossing', { budgetId: 'b1', threshold: 0.8 });
        // Ahead of the database's clock (claims never go by a clock behind it), within the verifier's 5 minutes.
        let clock = Date.now() + 60 * S;
        const transport = scriptedTransport((_, i) => (i < 3 ? fail(500, `failure ${i + 1}`) : ok));
        const deliverer = createDeliverer({
          db: suite.db, box, guard, transport: async () => transport, policy: DEFAULT_RETRY_POLICY,
          now: () => clock, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
        });
        const gaps: number[] = [];
        for (let round = 0; round < 4; round++) {
          const report = await deliverer.drain(10_000);
          expect(report.claimed, `round ${round}`).toBeGreaterThanOrEqual(1);
          const [row] = await log(projectId, e.id);
          if (row!.status === 'succeeded') break;
          gaps.push(Date.parse(row!.next_attempt_at!) - Date.parse(row!.last_attempt_at!));
          clock = Date.parse(row!.next_attempt_at!);
        }
        expect(gaps).toEqual([30 * S, 60 * S, 120 * S]);
        const [row] = await log(projectId, e.id);
        expect(row).toMatchObject({ status: 'succeeded', attempts: 4, last_status: 204 });
        const mine = transport.sent.filter((r) => r.headers['webhook-id'] === event!.event_id);
        expect(mine).toHaveLength(4);
        const verifier = new Webhook(e.secret);
        for (const request of mine) {
          expect(verifier.verify(request.body, request.headers)).toEqual({ type: TYPE, timestamp: expect.any(String), data: { budgetId: 'b1', threshold: 0.8 } });
          expect(request).toMatchObject({ url: URL, timeoutMs: 10_000, headers: { 'content-type': 'application/json', 'user-agent': 'Iris-Webhooks/test' } });
        }
        // The same body on every attempt; only the attempt's timestamp and signature change.
        expect(new Set(mine.map((r) => r.body)).size).toBe(1);
      });

      it('delivers with a secret sealed under a previous IRIS_ENCRYPTION_KEY and seals it again under the current one, compare-and-set', async () => {
        const projectId = await newProject();
        const [oldKey, newKey] = [crypto.getRandomValues(new Uint8Array(32)), crypto.getRandomValues(new Uint8Array(32))];
        const id = crypto.randomUUID();
        const secret = generateSecret();
        const sealedBefore = await createSecretBox(oldKey).seal(secret, secretContext(projectId, id));
        await suite.db.rpc('create_webhook_endpoint', {
          p_project_id: projectId, p_id: id, p_url: URL, p_description: null, p_event_types: [TYPE], p_secret_ciphertext: sealedBefore,
        });
        made.push({ projectId, id });
        const clock = Date.now() + 60 * S;
        const transport = scriptedTransport(() => ok);
        const drain = (secretBox: ReturnType<typeof createSecretBox>) =>
          createDeliverer({
            db: suite.db, box: secretBox, guard, transport: async () => transport, policy: DEFAULT_RETRY_POLICY,
            now: () => clock, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
          }).drain(10_000);
        // The operator's step: the new key current, the old one previous.
        const [first] = await enqueue(projectId, 'rotation-1');
        await drain(createSecretBox(newKey, { previous: [oldKey] }));
        expect(await log(projectId, id)).toMatchObject([{ status: 'succeeded' }]);
        // Only the current key from here on: the secret opens, because it was sealed again.
        const [second] = await enqueue(projectId, 'rotation-2');
        await drain(createSecretBox(newKey));
        expect((await log(projectId, id)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
        const verifier = new Webhook(secret);
        for (const event of [first!, second!]) {
          const request = transport.sent.find((r) => r.headers['webhook-id'] === event.event_id)!;
          expect(verifier.verify(request.body, request.headers)).toMatchObject({ type: TYPE });
        }
        // Compare-and-set: the old value is no longer stored, and another project cannot touch the endpoint.
        const args = { p_project_id: projectId, p_endpoint_id: id, p_sealed_before: sealedBefore, p_sealed_after: sealedBefore };
        expect(await suite.db.rpc('reseal_webhook_secret', args)).toEqual([{ resealed: false }]);
        expect(await suite.db.rpc('reseal_webhook_secret', { ...args, p_project_id: await newProject() })).toEqual([{ resealed: false }]);
        const [third] = await enqueue(projectId, 'rotation-3');
        await drain(createSecretBox(newKey));
        expect(transport.sent.some((r) => r.headers['webhook-id'] === third!.event_id)).toBe(true);
      });

      it('signs with the new and the old secret during a rotation’s overlap, with the new one only after it, and rotates only the project’s enabled endpoints', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        const transport = scriptedTransport(() => ok);
        const drainAt = (clockMs: number) =>
          createDeliverer({
            db: suite.db, box, guard, transport: async () => transport, policy: DEFAULT_RETRY_POLICY,
            now: () => clockMs, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
          }).drain(10_000);
        const rotate = async (overlapSeconds: number, project = projectId) => {
          const secret = generateSecret();
          const rows = await suite.db.rpc('rotate_webhook_secret', {
            p_project_id: project, p_id: e.id, p_secret_ciphertext: await box.seal(secret, secretContext(projectId, e.id)), p_overlap_seconds: overlapSeconds,
          });
          return { secret, rows };
        };
        const sentFor = async (dedupeKey: string, clockMs: number) => {
          const [event] = await enqueue(projectId, dedupeKey);
          await drainAt(clockMs);
          return transport.sent.find((r) => r.headers['webhook-id'] === event!.event_id)!;
        };
        const signatures = (request: DeliveryRequest) => request.headers['webhook-signature']!.split(' ');
        // Within the verifier's 5 minutes, and ahead of the database's clock (claims never go by a clock behind it).
        const soon = Date.now() + 60 * S;

        const first = await rotate(3_600);
        expect(first.rows).toEqual([expect.objectContaining({ id: e.id, secret_ciphertext: expect.any(String), previous_secret_expires_at: expect.any(String) })]);
        expect(first.rows[0]).not.toHaveProperty('previous_secret_ciphertext');
        expect(Date.parse(first.rows[0]!.previous_secret_expires_at!) - Date.now()).toBeGreaterThan(3_500 * S);
        const during = await sentFor('rotation-overlap', soon);
        expect(signatures(during)).toHaveLength(2);
        for (const secret of [first.secret, e.secret]) expect(new Webhook(secret).verify(during.body, during.headers)).toMatchObject({ type: TYPE });

        // Past the overlap the claim no longer hands out the old secret: one signature, the reference's own under the new secret.
        const later = Date.now() + 2 * 3_600 * S;
        const after = await sentFor('rotation-after', later);
        const timestamp = new Date(Number(after.headers['webhook-timestamp']) * 1000);
        expect(after.headers['webhook-signature']).toBe(new Webhook(first.secret).sign(after.headers['webhook-id']!, timestamp, after.body));

        // Rotating during an overlap keeps only the secret it replaces; an overlap of 0 keeps none.
        const second = await rotate(3_600);
        const third = await rotate(3_600);
        const twice = await sentFor('rotation-twice', soon);
        expect(signatures(twice)).toHaveLength(2);
        for (const secret of [third.secret, second.secret]) expect(new Webhook(secret).verify(twice.body, twice.headers)).toMatchObject({ type: TYPE });
        expect(() => new Webhook(first.secret).verify(twice.body, twice.headers)).toThrow();
        const fourth = await rotate(0);
        expect(fourth.rows[0]?.previous_secret_expires_at).toBeNull();
        const alone = await sentFor('rotation-zero', soon);
        expect(signatures(alone)).toHaveLength(1);
        expect(new Webhook(fourth.secret).verify(alone.body, alone.headers)).toMatchObject({ type: TYPE });

        // Another project's key changes nothing; a disabled endpoint is not rotated; the overlap is bounded.
        expect((await rotate(3_600, await newProject())).rows).toEqual([]);
        for (const overlap of [-1, 604_801]) await expect(rotate(overlap)).rejects.toBeInstanceOf(DbError);
        const still = await sentFor('rotation-stranger', soon);
        expect(new Webhook(fourth.secret).verify(still.body, still.headers)).toMatchObject({ type: TYPE });
        await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'deleted' });
        expect((await rotate(3_600)).rows).toEqual([]);
      });

      it('changes only the fields named, on the project’s enabled endpoint, and sends pending deliveries to the new URL', async () => {
        const projectId = await newProject();
        const e = await endpoint(projectId);
        const update = (changes: Record<string, unknown>, project = projectId) =>
          suite.db.rpc('update_webhook_endpoint', { p_project_id: project, p_id: e.id, p_changes: changes as never });
        const [event] = await enqueue(projectId, 'queued before the move');

        const moved = 'https://hooks2.example.com/iris/v2';
        expect(await update({ url: moved })).toEqual([expect.objectContaining({ id: e.id, url: moved, description: null, event_types: [TYPE], disabled_at: null })]);
        expect((await update({ description: 'the new receiver' }))[0]).toMatchObject({ url: moved, description: 'the new receiver', event_types: [TYPE] });
        // Stored sorted and distinct, as on creation; a null description removes it.
        expect((await update({ event_types: [TYPE, 'audit.event', TYPE] }))[0]).toMatchObject({ event_types: ['audit.event', TYPE], description: 'the new receiver' });
        expect((await update({ description: null, event_types: [TYPE] }))[0]).toMatchObject({ url: moved, description: null, event_types: [TYPE] });
        expect(await update({})).toEqual([expect.objectContaining({ url: moved, event_types: [TYPE] })]);
        // The secret is never part of the answer.
        expect((await update({ url: moved }))[0]).not.toHaveProperty('secret_ciphertext');

        // The delivery queued before the move is claimed with the new URL.
        const claimed = await claimAll(projectId, Date.now() + 60 * S);
        expect(claimed.map((d) => [d.event_id, d.url])).toEqual([[event!.event_id, moved]]);

        // Malformed changes and values the table refuses are errors; nothing changes.
        for (const bad of [{ event_types: TYPE }, { url: 42 }, { description: ['x'] }]) {
          expect(((await update(bad).catch((x: unknown) => x)) as DbError).sqlState).toBe('22023');
        }
        for (const bad of [{ url: 'ftp://hooks.example.com/x' }, { event_types: [] }, { event_types: ['Not An Event'] }, { description: 'x'.repeat(257) }]) {
          expect(((await update(bad).catch((x: unknown) => x)) as DbError).sqlState).toBe('23514');
        }
        expect((await suite.db.rpc('get_webhook_endpoint', { p_project_id: projectId, p_id: e.id }))[0]).toMatchObject({ url: moved, description: null, event_types: [TYPE] });

        // Another project's key changes nothing; a disabled endpoint is not changed.
        expect(await update({ url: URL }, await newProject())).toEqual([]);
        await suite.db.rpc('disable_webhook_endpoint', { p_project_id: projectId, p_id: e.id, p_reason: 'deleted' });
        expect(await update({ url: URL })).toEqual([]);
        expect((await suite.db.rpc('get_webhook_endpoint', { p_project_id: projectId, p_id: e.id }))[0]?.url).toBe(moved);
      });

      it('clears a rotated-out secret once its overlap has ended, and only then', async (ctx) => {
        const sql = suite.sqlOrSkip(ctx);
        const projectId = await newProject();
        const [ended, lasting] = [await endpoint(projectId), await endpoint(projectId)];
        for (const e of [ended, lasting]) {
          await suite.db.rpc('rotate_webhook_secret', {
            p_project_id: projectId, p_id: e.id, p_secret_ciphertext: await box.seal(generateSecret(), secretContext(projectId, e.id)), p_overlap_seconds: 3_600,
          });
        }
        await sql.query(`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1`, [ended.id]);
        const previous = async () =>
          Object.fromEntries(
            (await sql.query<{ id: string; kept: boolean }>(`select id, previous_secret_ciphertext is not null as kept from webhook_endpoints where id in ($1, $2)`, [ended.id, lasting.id])).map(
              (r) => [r.id, r.kept],
            ),
          );
        expect(await previous()).toEqual({ [ended.id]: true, [lasting.id]: true });
        let retired = 0;
        for (let i = 0; i < 100; i++) {
          const [row] = await suite.db.rpc('retire_expired_webhook_secrets', { p_limit: 1000 });
          retired += row!.retired;
          if (row!.retired < 1000) break;
        }
        expect(retired).toBeGreaterThanOrEqual(1);
        expect(await previous()).toEqual({ [ended.id]: false, [lasting.id]: true });
        const [row] = await sql.query<{ expires: string | null }>(`select previous_secret_expires_at as expires from webhook_endpoints where id = $1`, [ended.id]);
        expect(row!.expires).toBeNull();
        // Nothing left to clear for this endpoint: a second sweep leaves the lasting one alone.
        await suite.db.rpc('retire_expired_webhook_secrets', { p_limit: 1000 });
        expect(await previous()).toEqual({ [ended.id]: false, [lasting.id]: true });
      });

      it('gives up when the schedule ends, disables the endpoint on 410 Gone, and refuses a URL that now resolves to a private address', async () => {
        const projectId = await newProject();
        const [e1, e2] = [await endpoint(projectId), await endpoint(projectId)];
        await enqueue(projectId, 'final');
        const clock = Date.now() + 25 * 3_600 * S;
        const transport = scriptedTransport(() => fail(500));
        const deliverer = createDeliverer({
          db: suite.db, box, guard, transport: async () => transport, policy: DEFAULT_RETRY_POLICY,
          now: () => clock, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
        });
        await deliverer.drain(10_000);
        // Past the 24 h mark: the failed attempt is the last.
        for (const e of [e1, e2]) expect((await log(projectId, e.id))[0]).toMatchObject({ status: 'failed', attempts: 1, last_status: 500 });

        const goneTransport = scriptedTransport(() => fail(410));
        const gone = createDeliverer({
          db: suite.db, box, guard, transport: async () => goneTransport, policy: DEFAULT_RETRY_POLICY,
          now: () => Date.now() + S, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
        });
        const e3 = await endpoint(projectId);
        await suite.db.rpc('send_test_webhook', { p_project_id: projectId, p_endpoint_id: e3.id });
        await gone.drain(10_000);
        expect((await suite.db.rpc('get_webhook_endpoint', { p_project_id: projectId, p_id: e3.id }))[0]).toMatchObject({ disabled_reason: 'gone' });
        expect((await log(projectId, e3.id))[0]).toMatchObject({ status: 'failed', last_status: 410 });

        const rebound = createDeliverer({
          db: suite.db, box, guard: createUrlGuard({ resolve: async () => ['10.0.0.8'] }), transport: async () => goneTransport, policy: DEFAULT_RETRY_POLICY,
          now: () => Date.now() + S, random: () => 0.5, observer: silent, log: createLogger({ level: 'silent' }), userAgent: 'Iris-Webhooks/test',
        });
        const e4 = await endpoint(projectId);
        const sentBefore = goneTransport.sent.length;
        await suite.db.rpc('send_test_webhook', { p_project_id: projectId, p_endpoint_id: e4.id });
        await rebound.drain(10_000);
        expect(goneTransport.sent.length).toBe(sentBefore);
        expect((await log(projectId, e4.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('10.0.0.8 is private') });
      });
    });
  });
}
