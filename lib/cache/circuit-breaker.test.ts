import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { createManualClock } from './testing.js';

function setup(options: Parameters<typeof createCircuitBreaker>[0] = {}) {
  const clock = createManualClock();
  const changes: CircuitState[] = [];
  const breaker = createCircuitBreaker({
    failureThreshold: 3,
    cooldownMs: 1000,
    now: clock.now,
    onStateChange: (state) => changes.push(state),
    ...options,
  });
  const fail = (n: number) => {
    for (let i = 0; i < n; i++) if (breaker.tryAcquire()) breaker.failure();
  };
  return { clock, breaker, changes, fail };
}

describe('createCircuitBreaker', () => {
  it('starts closed and lets every call through', () => {
    const { breaker } = setup();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens after the configured number of consecutive failures', () => {
    const { breaker, fail } = setup();
    fail(2);
    expect(breaker.state).toBe('closed');
    fail(1);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('does not open when a success interrupts the run of failures', () => {
    const { breaker, fail } = setup();
    fail(2);
    breaker.tryAcquire();
    breaker.success();
    fail(2);
    expect(breaker.state).toBe('closed');
  });

  it('opens on the failure ratio of the window once it holds enough calls', () => {
    const { breaker } = setup({ failureThreshold: 100, failureRatio: 0.5, minCallsForRatio: 10, windowMs: 1000 });
    for (let i = 0; i < 10; i++) {
      breaker.tryAcquire();
      if (i % 2 === 1) breaker.failure();
      else breaker.success();
    }
    expect(breaker.state).toBe('open');
  });

  it('forgets the ratio of a window once it is over', () => {
    const { clock, breaker } = setup({ failureThreshold: 100, failureRatio: 0.5, minCallsForRatio: 4, windowMs: 1000 });
    for (let i = 0; i < 3; i++) breaker.failure();
    clock.advance(1000);
    breaker.failure();
    breaker.success();
    breaker.success();
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('half-opens after the cooldown and lets exactly one probe through', () => {
    const { clock, breaker, fail } = setup();
    fail(3);
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('closes when the probe succeeds', () => {
    const { clock, breaker, fail } = setup();
    fail(3);
    clock.advance(1000);
    breaker.tryAcquire();
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens again for a full cooldown when the probe fails', () => {
    const { clock, breaker, fail } = setup();
    fail(3);
    clock.advance(1000);
    breaker.tryAcquire();
    breaker.failure();
    expect(breaker.state).toBe('open');
    clock.advance(999);
    expect(breaker.tryAcquire()).toBe(false);
  });

  it('reports each state change once', () => {
    const { clock, breaker, changes, fail } = setup();
    fail(10);
    clock.advance(1000);
    breaker.tryAcquire();
    breaker.success();
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('keeps working when the state-change callback throws', () => {
    const { breaker, fail } = setup({
      onStateChange: () => {
        throw new Error('logger down');
      },
    });
    fail(3);
    expect(breaker.state).toBe('open');
  });

  it('never opens on slow calls in a row: each one is an answer, which ends a run of failures', () => {
    const { breaker, fail } = setup({ minCallsForRatio: 1_000 });
    for (let i = 0; i < 100; i++) {
      fail(2);
      breaker.tryAcquire();
      breaker.slow();
    }
    expect(breaker.state).toBe('closed');
  });

  it('opens when nearly every call of a window is slow, and not when some are', () => {
    const some = setup({ failureThreshold: 100, slowCallRatio: 0.9, minCallsForRatio: 20 });
    for (let i = 0; i < 40; i++) {
      some.breaker.tryAcquire();
      if (i % 3 === 0) some.breaker.success();
      else some.breaker.slow();
    }
    expect(some.breaker.state).toBe('closed');
    const nearlyAll = setup({ failureThreshold: 100, slowCallRatio: 0.9, minCallsForRatio: 20 });
    for (let i = 0; i < 19; i++) {
      nearlyAll.breaker.tryAcquire();
      nearlyAll.breaker.slow();
    }
    expect(nearlyAll.breaker.state).toBe('closed');
    nearlyAll.breaker.tryAcquire();
    nearlyAll.breaker.slow();
    expect(nearlyAll.breaker.state).toBe('open');
  });

  it('closes a half-open circuit on a slow probe: it was answered', () => {
    const { clock, breaker, fail } = setup();
    fail(3);
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.slow();
    expect(breaker.state).toBe('closed');
  });

  it('refuses invalid options, naming them', () => {
    expect(() => createCircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold/);
    expect(() => createCircuitBreaker({ failureRatio: 1.5 })).toThrow(/failureRatio/);
    expect(() => createCircuitBreaker({ slowCallRatio: 0 })).toThrow(/slowCallRatio/);
    expect(() => createCircuitBreaker({ cooldownMs: -1 })).toThrow(/cooldownMs/);
  });

  it('counts an abandoned call for nothing and hands a half-open probe to the next call', () => {
    const { breaker, clock, fail } = setup();
    fail(2);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.abandon();
    fail(1);
    expect(breaker.state).toBe('open');
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.abandon();
    expect(breaker.state).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(breaker.state).toBe('closed');
  });

  it('says how long until the next probe while open', () => {
    const { breaker, clock, fail } = setup();
    expect(breaker.probeInMs).toBe(0);
    fail(3);
    expect(breaker.probeInMs).toBe(1000);
    clock.advance(400);
    expect(breaker.probeInMs).toBe(600);
    clock.advance(600);
    expect(breaker.probeInMs).toBe(0);
    breaker.tryAcquire();
    expect(breaker.state).toBe('half-open');
    expect(breaker.probeInMs).toBe(0);
  });
});
