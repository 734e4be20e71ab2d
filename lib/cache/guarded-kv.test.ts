import { describe, expect, it } from 'vitest';
import { createMemoryKv, KvError, type KvStore } from '../kv/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createGuardedKv } from './guarded-kv.js';
import type { CacheEvent } from './observer.js';
import { createChaosKv, createManualClock, createManualTimers, deferred, settle, type Deferred } from './testing.js';

function setup(store?: KvStore) {
  const clock = createManualClock();
  const chaos = createChaosKv(store ?? createMemoryKv({ now: clock.now }));
  const breaker = createCircuitBreaker({ failureThreshold: 2, cooldownMs: 1000, now: clock.now });
  const events: CacheEvent[] = [];
  const kv = createGuardedKv({ kv: chaos, timeoutMs: 5, breaker, observer: { record: (e) => events.push(e) } });
  return { clock, chaos, breaker, events, kv };
}

describe('createGuardedKv', () => {
  it('passes answers through and records how long each call took', async () => {
    const { kv, events } = setup();
    expect(await kv.set('a', '1')).toEqual({ ok: true, value: true });
    expect(await kv.get('a')).toEqual({ ok: true, value: '1' });
    expect(await kv.mget(['a', 'b'])).toEqual({ ok: true, value: ['1', null] });
    expect(await kv.incr('n')).toEqual({ ok: true, value: 1 });
    expect(await kv.delIfEquals('a', '1')).toEqual({ ok: true, value: true });
    expect(await kv.del('n')).toEqual({ ok: true, value: 1 });
    const durations = events.filter((e) => e.type === 'kvDuration');
    expect(durations.map((e) => e.op)).toEqual(['set', 'get', 'mget', 'incr', 'delIfEquals', 'del']);
  });

  it('turns a failure into an outcome with reason error, never a rejection', async () => {
    const { kv, chaos, events } = setup();
    chaos.setMode('fail');
    expect(await kv.get('a')).toEqual({ ok: false, reason: 'error' });
    expect(events).toContainEqual({ type: 'kvError', op: 'get', reason: 'error' });
  });

  it('gives up on a call that exceeds its time budget, whatever the store does', async () => {
    const { kv, chaos, events } = setup();
    chaos.setMode('hang');
    expect(await kv.get('a')).toEqual({ ok: false, reason: 'timeout' });
    expect(events).toContainEqual({ type: 'kvError', op: 'get', reason: 'timeout' });
    chaos.setMode('fail'); // the late rejection of the abandoned call must not surface
  });

  it("reports the store's own timeout as a timeout", async () => {
    const store = createMemoryKv();
    const timingOut: KvStore = { ...store, get: async () => Promise.reject(new KvError('get', 'timeout', 'slow')) };
    const { kv } = setup(timingOut);
    expect(await kv.get('a')).toEqual({ ok: false, reason: 'timeout' });
  });

  it('handles a store that throws synchronously', async () => {
    const store = createMemoryKv();
    const throwing: KvStore = {
      ...store,
      get: () => {
        throw new Error('sync');
      },
    };
    const { kv } = setup(throwing);
    expect(await kv.get('a')).toEqual({ ok: false, reason: 'error' });
  });

  it('stops calling the store while the circuit is open, and counts that', async () => {
    const { kv, chaos, breaker, events } = setup();
    chaos.setMode('fail');
    await kv.get('a');
    await kv.get('a');
    expect(breaker.state).toBe('open');
    const callsBefore = chaos.calls.get;
    expect(await kv.get('a')).toEqual({ ok: false, reason: 'circuit_open' });
    expect(chaos.calls.get).toBe(callsBefore);
    expect(events).toContainEqual({ type: 'kvError', op: 'get', reason: 'circuit_open' });
  });

  it('closes the circuit when the probe after the cooldown succeeds', async () => {
    const { kv, chaos, clock, breaker } = setup();
    chaos.setMode('fail');
    await kv.get('a');
    await kv.get('a');
    chaos.setMode('pass');
    clock.advance(1000);
    expect(await kv.get('a')).toEqual({ ok: true, value: null });
    expect(breaker.state).toBe('closed');
  });

  describe('an answer after the budget', () => {
    /** A store whose every `get` waits for the test to answer it, behind a guard whose timers the test fires. */
    function slowSetup() {
      const clock = createManualClock();
      const timers = createManualTimers();
      const answers: Deferred<string | null>[] = [];
      const store: KvStore = {
        ...createMemoryKv({ now: clock.now }),
        get: () => {
          const answer = deferred<string | null>();
          answers.push(answer);
          return answer.promise;
        },
      };
      const breaker = createCircuitBreaker({ failureThreshold: 5, minCallsForRatio: 1_000, cooldownMs: 1000, now: clock.now });
      const events: CacheEvent[] = [];
      const kv = createGuardedKv({ kv: store, timeoutMs: 50, answerDeadlineMs: 1_000, schedule: timers.schedule, breaker, observer: { record: (e) => events.push(e) } });
      /** One call: the budget runs out (its timer fired), then the store answers with `answer`, or never. */
      async function callGivenUpOn(answer: 'late' | 'error' | 'never') {
        const outcome = kv.get('k');
        await settle();
        timers.fire(50);
        await settle();
        expect(await outcome).toEqual({ ok: false, reason: 'timeout' });
        const pending = answers.at(-1)!;
        if (answer === 'late') pending.resolve('v');
        else if (answer === 'error') pending.reject(new KvError('get', 'error', 'refused'));
        else timers.fire();
        await settle();
      }
      return { kv, breaker, timers, events, answers, callGivenUpOn };
    }

    it('is a slow call, not a failure: the caller stops waiting, the circuit stays closed however many there are', async () => {
      const { breaker, events, timers, callGivenUpOn } = slowSetup();
      for (let i = 0; i < 50; i++) await callGivenUpOn('late');
      expect(breaker.state).toBe('closed');
      expect(events.filter((e) => e.type === 'kvError')).toHaveLength(50);
      // Every answer cancelled its deadline.
      expect(timers.pending).toBe(0);
    });

    it('opens the circuit when the answers do not come by the deadline, or are errors', async () => {
      const silent = slowSetup();
      for (let i = 0; i < 4; i++) await silent.callGivenUpOn('never');
      expect(silent.breaker.state).toBe('closed');
      await silent.callGivenUpOn('never');
      expect(silent.breaker.state).toBe('open');
      const failing = slowSetup();
      for (let i = 0; i < 5; i++) await failing.callGivenUpOn('error');
      expect(failing.breaker.state).toBe('open');
    });

    it('takes an answer that arrived before the budget ran out, even when its timer fires first', async () => {
      const { kv, timers, answers, breaker } = slowSetup();
      const outcome = kv.get('k');
      await settle();
      // The answer is in, but unread, when the budget's timer fires: one more turn of the loop reads it.
      timers.fire(50);
      answers[0]!.resolve('v');
      expect(await outcome).toEqual({ ok: true, value: 'v' });
      expect(breaker.state).toBe('closed');
    });

    it('refuses an answer deadline shorter than the budget, naming it', () => {
      const breaker = createCircuitBreaker();
      expect(() => createGuardedKv({ kv: createMemoryKv(), timeoutMs: 50, answerDeadlineMs: 10, breaker, observer: { record: () => {} } })).toThrow(/answerDeadlineMs/);
    });
  });
});
