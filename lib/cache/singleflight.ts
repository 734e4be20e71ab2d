/**
 * Singleflight: concurrent callers with the same key share one run of `work`.
 * The first caller (the leader) starts it; later callers (joiners) get the same
 * promise, errors included. The key is released when the run settles, so the
 * next caller after a failure starts a fresh run. The map only ever holds runs
 * in progress, so it is bounded by the concurrency of its callers.
 */
export class Singleflight<T> {
  readonly #runs = new Map<string, Promise<T>>();

  /** Joins the run for `key`, or starts one with `work`; `leader` says which. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; leader: boolean } {
    const existing = this.#runs.get(key);
    if (existing !== undefined) return { promise: existing, leader: false };
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (error) {
      promise = Promise.reject(error);
    }
    const tracked = promise.finally(() => {
      if (this.#runs.get(key) === tracked) this.#runs.delete(key);
    });
    this.#runs.set(key, tracked);
    return { promise: tracked, leader: true };
  }

  /** Whether a run for `key` is in progress. */
  has(key: string): boolean {
    return this.#runs.has(key);
  }

  /** Runs in progress. */
  get size(): number {
    return this.#runs.size;
  }
}
