import { describe, expect, it } from 'vitest';
import { Singleflight } from './singleflight.js';
import { deferred } from './testing.js';

describe('Singleflight', () => {
  it('runs the work once for concurrent callers of one key', async () => {
    const flights = new Singleflight<number>();
    const gate = deferred<number>();
    let runs = 0;
    const calls = Array.from({ length: 10 }, () =>
      flights.run('k', () => {
        runs += 1;
        return gate.promise;
      }),
    );
    expect(calls.filter((c) => c.leader)).toHaveLength(1);
    gate.resolve(42);
    expect(await Promise.all(calls.map((c) => c.promise))).toEqual(Array(10).fill(42));
    expect(runs).toBe(1);
  });

  it('shares a failure with every joiner and releases the key for the next caller', async () => {
    const flights = new Singleflight<number>();
    const first = flights.run('k', () => Promise.reject(new Error('boom')));
    const joiner = flights.run('k', () => Promise.resolve(1));
    await expect(first.promise).rejects.toThrow('boom');
    await expect(joiner.promise).rejects.toThrow('boom');
    expect(flights.size).toBe(0);
    expect(await flights.run('k', () => Promise.resolve(2)).promise).toBe(2);
  });

  it('turns a synchronous throw into a shared rejection', async () => {
    const flights = new Singleflight<number>();
    const { promise } = flights.run('k', () => {
      throw new Error('sync');
    });
    await expect(promise).rejects.toThrow('sync');
    expect(flights.has('k')).toBe(false);
  });

  it('keeps keys apart', async () => {
    const flights = new Singleflight<string>();
    const a = flights.run('a', async () => 'A');
    const b = flights.run('b', async () => 'B');
    expect(a.leader && b.leader).toBe(true);
    expect([await a.promise, await b.promise]).toEqual(['A', 'B']);
  });
});
