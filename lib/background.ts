import { waitUntil } from '@vercel/functions';

/**
 * Background work that must outlive the response: cache refreshes, metric
 * snapshots, usage counters. On Vercel each task is handed to `waitUntil` so the
 * function is kept alive until it settles; everywhere (the local server, tests)
 * the task is also tracked here so `drain()` can await it. A task never rejects
 * into the void: failures go to `onError` once per task.
 */
export interface BackgroundOptions {
  /** Called with each task's failure. @default logs nothing */
  onError?: (error: unknown, label: string) => void;
  /** Hands the promise to the platform. @default `waitUntil` from @vercel/functions (a no-op outside Vercel) */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface Background {
  /** Starts tracking `task` (a promise, or a function returning one) and returns the tracked promise, which never rejects. */
  run(label: string, task: Promise<unknown> | (() => Promise<unknown>)): Promise<void>;
  /** Resolves when every task started so far (and any they start) has settled. */
  drain(): Promise<void>;
  /** Tasks still running. */
  readonly pending: number;
}

export function createBackground(options: BackgroundOptions = {}): Background {
  const onError = options.onError ?? (() => {});
  const handOff = options.waitUntil ?? ((p: Promise<unknown>) => void waitUntil(p));
  const inFlight = new Set<Promise<void>>();

  return {
    run(label, task) {
      let promise: Promise<unknown>;
      try {
        promise = typeof task === 'function' ? task() : task;
      } catch (error) {
        promise = Promise.reject(error);
      }
      const tracked: Promise<void> = promise.then(
        () => undefined,
        (error: unknown) => onError(error, label),
      );
      inFlight.add(tracked);
      void tracked.finally(() => inFlight.delete(tracked));
      handOff(tracked);
      return tracked;
    },
    async drain() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    get pending() {
      return inFlight.size;
    },
  };
}
