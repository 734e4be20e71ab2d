import { describe, expect, it } from 'vitest';
import { createMemoryKv, type KvStore } from '../kv/index.js';
import { createCircuitBreaker } from './circuit-breaker.js';
import { createGenerations } from './generations.js';
import { createGuardedKv } from './guarded-kv.js';
import { generationKey } from './key.js';
import { NOOP_OBSERVER } from './observer.js';
import { createChaosKv, createManualClock, deferred } from './testing.js';

const group = generationKey('p', 'r');

function setup(store?: KvStore) {
  const clock = createManualClock();
  const memory = createMemoryKv({ now: clock.now });
  const chaos = createChaosKv(store ?? memory);
  const guarded = createGuardedKv({
    kv: chaos,
    timeoutMs: 50,
    breaker: createCircuitBreaker({ failureThreshold: 1000, now: clock.now }),
    observer: NOOP_OBSERVER,
  });
  const make = () => createGenerations({ kv: guarded, now: clock.now, checkIntervalMs: 1000, maxEntries: 100 });
  return { clock, memory, chaos, make };
}

describe('createGenerations', () => {
  it('treats a missing counter as generation 0', async () => {
    const { make } = setup();
    expect(await make().current(group)).toMatchObject({ kvGen: 0, l2: true });
  });

  it('reads a counter from the KV at most once per check interval', async () => {
    const { make, chaos, clock } = setup();
    const gens = make();
    await gens.current(group);
    await gens.current(group);
    expect(gens.peek(group)).toBeDefined();
    expect(chaos.calls.get).toBe(1);
    clock.advance(1000);
    expect(gens.peek(group)).toBeUndefined();
    await gens.current(group);
    expect(chaos.calls.get).toBe(2);
  });

  it('shares one KV read among concurrent callers', async () => {
    const { make, chaos } = setup();
    const gens = make();
    await Promise.all(Array.from({ length: 50 }, () => gens.current(group)));
    expect(chaos.calls.get).toBe(1);
  });

  it('sees a bump made by another instance after the check interval', async () => {
    const { make, clock } = setup();
    const writer = make();
    const reader = make();
    const before = await reader.current(group);
    await writer.bump(group);
    expect(await reader.current(group)).toEqual(before);
    clock.advance(1000);
    expect((await reader.current(group)).kvGen).toBe(1);
  });

  it('changes the local stamp at once on bump, before the KV answers', async () => {
    const { make } = setup();
    const gens = make();
    const before = await gens.current(group);
    void gens.bump(group);
    expect(gens.peek(group)).not.toEqual(before);
  });

  it('keeps local bumps working with the KV down and distrusts L2 until the bump is replayed', async () => {
    const { make, chaos, clock, memory } = setup();
    const gens = make();
    const before = await gens.current(group);
    chaos.setMode('fail');
    await gens.bump(group);
    const during = await gens.current(group);
    expect(during.epoch).not.toBe(before.epoch);
    expect(during.l2).toBe(false);
    chaos.setMode('pass');
    clock.advance(1000);
    const after = await gens.current(group);
    expect(after).toMatchObject({ kvGen: 1, l2: true });
    expect(await memory.get(group)).toBe('1');
  });

  it('ignores a re-check that overlapped a bump, so an out-of-order read cannot undo it', async () => {
    const memory = createMemoryKv();
    const gate = deferred<void>();
    // A store whose GET reads its value when called but answers late, as a
    // REST call overtaken by a later INCR would.
    const slowReads: KvStore = {
      ...memory,
      get: async (key) => {
        const value = await memory.get(key);
        await gate.promise;
        return value;
      },
    };
    const { make, clock } = setup(slowReads);
    const gens = make();
    gate.resolve();
    await gens.current(group);
    const lateGate = deferred<void>();
    slowReads.get = async (key) => {
      const value = await memory.get(key);
      await lateGate.promise;
      return value;
    };
    clock.advance(1000);
    const recheck = gens.current(group);
    await gens.bump(group);
    lateGate.resolve();
    expect((await recheck).kvGen).toBe(1);
  });

  it('marks the counter unknown when the KV cannot be read, and distrusts L2', async () => {
    const { make, chaos } = setup();
    chaos.setMode('fail');
    expect(await make().current(group)).toMatchObject({ kvGen: null, l2: false });
  });

  it('gives a record created again after eviction a new epoch', async () => {
    const clock = createManualClock();
    const gens = createGenerations({ kv: null, now: clock.now, checkIntervalMs: 1000, maxEntries: 2 });
    const first = await gens.current('group-a');
    await gens.current('group-b');
    await gens.current('group-c');
    expect(gens.size).toBe(2);
    expect((await gens.current('group-a')).epoch).not.toBe(first.epoch);
  });
});
