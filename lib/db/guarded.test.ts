import { describe, expect, it } from 'vitest';
import { createCircuitBreaker } from '../cache/index.js';
import { createManualClock, createManualTimers, settle } from '../cache/testing.js';
import { DbError } from './errors.js';
import { createGuardedDb, type DbUnavailableReason } from './guarded.js';
import { createChaosDb, refused, rejection } from './testing.js';
import type { Db, RpcName } from './types.js';

/** An adapter that answers every call with one row, whatever it is. */
const answering: Db = {
  kind: 'pglite',
  rpc: async () => [{ ok: true }] as never[],
  close: async () => {},
};

function setup(inner: Db = answering) {
  const clock = createManualClock();
  const timers = createManualTimers();
  const chaos = createChaosDb(inner);
  const breaker = createCircuitBreaker({ failureThreshold: 3, cooldownMs: 2_000, now: clock.now });
  const unavailable: [RpcName, DbUnavailableReason][] = [];
  const db = createGuardedDb({
    db: chaos,
    breaker,
    timeoutMs: 1_500,
    schedule: timers.schedule,
    onUnavailable: (fn, reason) => unavailable.push([fn, reason]),
  });
  return { clock, timers, chaos, breaker, db, unavailable };
}

const call = (db: Db) => db.rpc('list_projects', {});

describe('createGuardedDb', () => {
  it('passes calls and their answers through, and cancels each budget timer once answered', async () => {
    const { db, timers, breaker } = setup();
    expect(await call(db)).toEqual([{ ok: true }]);
    expect(timers.pending).toBe(0);
    expect(breaker.state).toBe('closed');
  });

  it('aborts a call that has no answer within its budget: timeout, and it may have committed', async () => {
    const { db, timers, chaos, unavailable } = setup();
    chaos.set({ mode: 'hang' });
    const pending = rejection(db.rpc('ingest_runs', { p_project_id: 'p', p_runs: [] }));
    await settle();
    expect(chaos.hanging).toBe(1);
    timers.fire();
    const error = await pending;
    expect(error).toMatchObject({ sqlState: 'timeout', fn: 'ingest_runs', mayHaveCommitted: true, retryAfterS: 1 });
    expect(chaos.hanging).toBe(0);
    expect(unavailable).toEqual([['ingest_runs', 'timeout']]);
  });

  it('gives up on an adapter that ignores the abort once the budget is spent', async () => {
    const deaf: Db = { kind: 'pglite', rpc: () => new Promise<never>(() => {}), close: async () => {} };
    const { db, timers } = setup(deaf);
    const pending = rejection(call(db));
    await settle();
    timers.fire();
    expect(await pending).toMatchObject({ sqlState: 'timeout', mayHaveCommitted: true });
  });

  it('opens after consecutive failures, then refuses calls at once without attempting them', async () => {
    const { db, chaos, breaker, unavailable, clock } = setup();
    chaos.set({ mode: 'fail', error: refused });
    for (let i = 0; i < 3; i++) expect(await rejection(call(db))).toMatchObject({ sqlState: 'connection', mayHaveCommitted: false });
    expect(breaker.state).toBe('open');
    expect(chaos.calls()).toBe(3);

    clock.advance(500);
    const error = await rejection(db.rpc('ingest_runs', { p_project_id: 'p', p_runs: [] }));
    expect(error).toMatchObject({ sqlState: 'circuit_open', unavailable: true, unavailableReason: 'circuit_open', mayHaveCommitted: false, retryAfterS: 2 });
    expect(chaos.calls()).toBe(3);
    expect(unavailable.map(([, reason]) => reason)).toEqual(['connection', 'connection', 'connection', 'circuit_open']);
  });

  it('lets one probe through after the cooldown and closes when the database answers again', async () => {
    const { db, chaos, breaker, clock } = setup();
    chaos.set({ mode: 'fail', error: refused });
    for (let i = 0; i < 3; i++) await rejection(call(db));
    clock.advance(2_000);
    // The probe fails: open again, for another cooldown.
    expect(await rejection(call(db))).toMatchObject({ sqlState: 'connection', retryAfterS: 2 });
    expect(breaker.state).toBe('open');
    clock.advance(2_000);
    chaos.set({ mode: 'pass' });
    expect(await call(db)).toEqual([{ ok: true }]);
    expect(breaker.state).toBe('closed');
    expect(await call(db)).toEqual([{ ok: true }]);
  });

  it('never counts an answer as a failure: values the database refuses and its own statement timeout leave it closed', async () => {
    const { db, chaos, breaker, unavailable } = setup();
    for (const sqlState of ['22008', '23505', '57014', '42883']) {
      chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, sqlState, 'refused') });
      for (let i = 0; i < 5; i++) expect((await rejection(call(db))).sqlState).toBe(sqlState);
    }
    expect(breaker.state).toBe('closed');
    // Only the statement timeout is an unavailable answer (a 503), counted as a timeout.
    expect(unavailable).toEqual(Array.from({ length: 5 }, () => ['list_projects', 'timeout']));
  });

  it('counts a call cancelled before it was sent (a busy pool) for nothing', async () => {
    const { db, chaos, breaker } = setup();
    chaos.set({ mode: 'fail', error: (fn) => new DbError(fn, 'timeout', 'abandoned (never sent)', { mayHaveCommitted: false }) });
    for (let i = 0; i < 10; i++) await rejection(call(db));
    expect(breaker.state).toBe('closed');
  });

  it('aborts the call when the caller’s own signal aborts', async () => {
    const { db, chaos } = setup();
    chaos.set({ mode: 'hang' });
    const controller = new AbortController();
    const pending = rejection(db.rpc('list_projects', {}, { signal: controller.signal }));
    await settle();
    controller.abort();
    expect(await pending).toMatchObject({ sqlState: 'timeout' });
  });

  it('refuses an invalid budget, naming the option', () => {
    const breaker = createCircuitBreaker();
    expect(() => createGuardedDb({ db: answering, breaker, timeoutMs: 0 })).toThrow(/GuardedDbOptions\.timeoutMs/);
    expect(() => createGuardedDb({ db: answering, breaker, timeoutMs: Number.NaN })).toThrow(/GuardedDbOptions\.timeoutMs/);
  });
});
