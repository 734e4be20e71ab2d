import { describe, expect, it } from 'vitest';
import type { Db, RpcName } from '../db/types.js';
import { createLogger } from '../log.js';
import { createWebhooks, type WebhooksObserver } from './service.js';

/**
 * When an instance drains, with a database that has nothing to claim and a
 * backlog the test sets, and a clock the test moves: no I/O, no timers.
 */
function setup(nextDueAt: () => string | null) {
  let clock = Date.UTC(2026, 11, 1, 9);
  const calls: RpcName[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const db = {
    kind: 'pglite',
    close: async () => undefined,
    rpc: async (name: RpcName) => {
      calls.push(name);
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return name === 'webhook_backlog' ? [{ due: 0, waiting: 1, next_due_at: nextDueAt() }] : [];
    },
  } as unknown as Db;
  const drains: string[] = [];
  const observer: WebhooksObserver = { attempt: () => undefined, finished: () => undefined, backlog: () => undefined, drain: (trigger, outcome) => drains.push(`${trigger}:${outcome}`) };
  const webhooks = createWebhooks({
    db,
    encryptionKey: new Uint8Array(32),
    now: () => clock,
    observer,
    log: createLogger({ level: 'silent' }),
    runInBackground: (_label, task) => task().then(() => undefined),
    userAgent: 'test',
    resolve: async () => ['93.184.215.14'],
    transport: { send: async () => ({ kind: 'network', message: 'unused' }) },
  });
  return {
    webhooks,
    calls,
    drains,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    hold: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('when an instance drains the outbox', () => {
  it('is not due before it has drained once: an idle instance never polls', () => {
    const { webhooks } = setup(() => null);
    expect(webhooks.isDue()).toBe(false);
  });

  it('is due once the earliest retry it learnt of is due, and not within 5 s of its last drain', async () => {
    let nextDue: string | null = null;
    const t = setup(() => nextDue);
    nextDue = new Date(t.now() + 30_000).toISOString();
    await t.webhooks.drainSoon();
    expect(t.drains).toEqual(['write:complete']);
    expect(t.webhooks.isDue()).toBe(false);
    t.advance(29_999);
    expect(t.webhooks.isDue()).toBe(false);
    t.advance(1);
    expect(t.webhooks.isDue()).toBe(true);
    // A backlog due in the past (another instance holds it) is looked at again after 5 s, not on every request.
    nextDue = new Date(t.now() - 1_000).toISOString();
    await t.webhooks.drainSoon('request');
    expect(t.webhooks.isDue()).toBe(false);
    t.advance(5_000);
    expect(t.webhooks.isDue()).toBe(true);
  });

  it('runs one drain at a time: calls while one runs make it go once more, not start a second', async () => {
    const t = setup(() => null);
    t.hold();
    const first = t.webhooks.drainSoon();
    const second = t.webhooks.drainSoon();
    const third = t.webhooks.drainSoon();
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(t.webhooks.isDue()).toBe(false);
    t.release();
    await first;
    // Two rounds: the one that ran and one more for the calls that came meanwhile; each is a claim and a backlog read.
    expect(t.drains).toEqual(['write:complete', 'write:complete']);
    expect(t.calls.filter((c) => c === 'claim_webhook_deliveries')).toHaveLength(2);
  });
});
