import { describe, expect, it } from 'vitest';
import { createMemoryKv, KvError, type KvStore } from '../kv/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createGuardedKv } from './guarded-kv.js';
import type { CacheEvent } from './observer.js';
import { createChaosKv, createManualClock } from './testing.js';

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
});
