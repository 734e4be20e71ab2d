/**
 * A circuit breaker for calls to a dependency (the KV store, the database).
 *
 * closed ─(N consecutive failures, or failure ratio, or slow-call ratio over a window)→ open
 * open ─(cooldownMs elapsed, on the next `tryAcquire`)→ half-open
 * half-open ─(the one probe is answered)→ closed; ─(the probe fails)→ open again
 *
 * A failure is a call the dependency did not answer (an error, or no answer
 * at all). A slow call is one it answered, later than the caller could wait
 * (`slow()`): on its own it says the dependency is up, so it never counts
 * towards the run of consecutive failures; only when nearly every call of a
 * window is slow (`slowCallRatio`) is the dependency too slow to be worth
 * calling, and the circuit opens. This is the slow-call rate of
 * resilience4j's breaker: under load a healthy Redis answers some calls late
 * (the caller's event loop is busy, sockets queue), and opening the circuit
 * then would only send every cache miss to the database (issue 11).
 *
 * While open, `tryAcquire()` returns false and the caller skips the dependency.
 * In half-open exactly one caller gets `true` (the probe); the others are
 * refused until it reports.
 */

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /**
   * Consecutive failures that open the circuit.
   * @default 5
   */
  failureThreshold?: number;
  /**
   * Share of failed calls in the current window that opens the circuit, in
   * (0, 1]; only once the window holds `minCallsForRatio` calls.
   * @default 0.5
   */
  failureRatio?: number;
  /**
   * Share of slow calls (answered, but later than the caller waited) in the
   * current window that opens the circuit, in (0, 1]; only once the window
   * holds `minCallsForRatio` calls.
   * @default 0.9
   */
  slowCallRatio?: number;
  /**
   * Calls a window must hold before `failureRatio` and `slowCallRatio` are applied.
   * @default 20
   */
  minCallsForRatio?: number;
  /**
   * Length of the tumbling window the failure ratio is computed over, in ms.
   * @default 10_000
   */
  windowMs?: number;
  /**
   * How long the circuit stays open before one probe is let through, in ms.
   * @default 5_000
   */
  cooldownMs?: number;
  /**
   * Clock in milliseconds, injected by tests.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Called once per state change (never twice for the same state), for logs
   * and metrics. Exceptions thrown here are swallowed.
   */
  onStateChange?: (state: CircuitState, previous: CircuitState) => void;
}

export interface CircuitBreaker {
  readonly state: CircuitState;
  /** Whether a call may go to the dependency now; every `true` must be followed by `success()` or `failure()`. */
  tryAcquire(): boolean;
  /** Reports that an acquired call succeeded. */
  success(): void;
  /** Reports that an acquired call failed: an error, or no answer at all. */
  failure(): void;
  /**
   * Reports that an acquired call was answered, but later than the caller
   * could wait: the dependency is up and slow. Closes a half-open circuit like
   * a success; opens a closed one only through `slowCallRatio`.
   */
  slow(): void;
  /**
   * Reports that an acquired call ended without saying anything about the
   * dependency (it was cancelled before it was sent, say): it counts for
   * nothing, and a half-open probe is handed to the next call.
   */
  abandon(): void;
  /** While open: ms until the next call may probe the dependency (0 once it may). 0 when closed or half-open. */
  readonly probeInMs: number;
}

/** Returns `value`, or throws a RangeError naming the option when `valid` is false. */
function check(name: keyof CircuitBreakerOptions, value: number, valid: (n: number) => boolean): number {
  if (!valid(value)) throw new RangeError(`CircuitBreakerOptions.${name} is invalid: ${value}`);
  return value;
}

const positiveInt = (n: number) => Number.isSafeInteger(n) && n > 0;

export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const failureThreshold = check('failureThreshold', options.failureThreshold ?? 5, positiveInt);
  const failureRatio = check('failureRatio', options.failureRatio ?? 0.5, (n) => n > 0 && n <= 1);
  const slowCallRatio = check('slowCallRatio', options.slowCallRatio ?? 0.9, (n) => n > 0 && n <= 1);
  const minCalls = check('minCallsForRatio', options.minCallsForRatio ?? 20, positiveInt);
  const windowMs = check('windowMs', options.windowMs ?? 10_000, positiveInt);
  const cooldownMs = check('cooldownMs', options.cooldownMs ?? 5_000, (n) => Number.isFinite(n) && n >= 0);
  const now = options.now ?? Date.now;
  const onStateChange = options.onStateChange;

  let state: CircuitState = 'closed';
  let consecutive = 0;
  let windowStart = now();
  let calls = 0;
  let failures = 0;
  let slowCalls = 0;
  let openedAt = 0;
  let probeInFlight = false;

  function transition(next: CircuitState): void {
    if (next === state) return;
    const previous = state;
    state = next;
    if (next === 'open') openedAt = now();
    if (next === 'closed') {
      consecutive = 0;
      calls = 0;
      failures = 0;
      slowCalls = 0;
      windowStart = now();
    }
    try {
      onStateChange?.(next, previous);
    } catch {
      // A logging or metrics failure must not change the breaker's behaviour.
    }
  }

  function roll(): void {
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      calls = 0;
      failures = 0;
      slowCalls = 0;
    }
  }

  /** Counts one acquired call's result; a half-open probe decides the state alone. */
  function settle(outcome: 'ok' | 'slow' | 'failed'): void {
    if (state === 'half-open') {
      probeInFlight = false;
      transition(outcome === 'failed' ? 'open' : 'closed');
      return;
    }
    if (state !== 'closed') return; // a call from before the circuit opened
    roll();
    calls += 1;
    if (outcome !== 'failed') {
      // An answer, even a late one, ends a run of unanswered calls.
      consecutive = 0;
      if (outcome === 'slow') slowCalls += 1;
      if (calls >= minCalls && slowCalls / calls >= slowCallRatio) transition('open');
      return;
    }
    failures += 1;
    consecutive += 1;
    if (consecutive >= failureThreshold || (calls >= minCalls && failures / calls >= failureRatio)) transition('open');
  }

  return {
    get state() {
      return state;
    },

    tryAcquire() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now() - openedAt < cooldownMs) return false;
        transition('half-open');
      }
      if (probeInFlight) return false;
      probeInFlight = true;
      return true;
    },

    success: () => settle('ok'),
    failure: () => settle('failed'),
    slow: () => settle('slow'),
    abandon() {
      if (state === 'half-open') probeInFlight = false;
    },

    get probeInMs() {
      return state === 'open' ? Math.max(0, openedAt + cooldownMs - now()) : 0;
    },
  };
}
