/**
 * Node-only (uses {@link HttpConnection}). The two ways of generating load:
 *
 * - closed model (`runClosed`): virtual users, each with its own keep-alive
 *   connection, send a request, wait for the answer, think, repeat. The
 *   arrival rate follows the server's speed: a slow server gets fewer requests.
 * - open model (`runOpen`): requests are due on a schedule (a constant or
 *   ramping rate) whatever the server does. Latency is measured from when a
 *   request was due, not from when a free connection finally sent it, so a
 *   saturated server shows up as growing latency instead of quietly fewer
 *   requests (coordinated omission, Gil Tene, "How NOT to measure latency").
 *   Requests sent more than `lateToleranceMs` after their time are counted as
 *   late, and requests that cannot even be queued as dropped.
 *
 * Every run is bounded: it stops at its duration (plus a graceful-stop window
 * for requests in flight), at `maxRequests`, or when `signal` aborts.
 */
import { HttpConnection, type HttpClientOptions } from './http-client.js';
import type { Random } from './random.js';
import type { Recorder } from './recorder.js';
import { ArrivalSchedule, validateStages, valueAt, type Stage } from './stages.js';
import type { NextRequest } from './traffic-mix.js';

/** What both models share. */
export interface RunOptions {
  /** Target and per-request timeout. */
  client: HttpClientOptions;
  /** Draws the next request. */
  next: () => NextRequest;
  recorder: Recorder;
  /** How long requests are started for, ms (ignored when stages give the duration). */
  durationMs: number;
  /**
   * Most requests started in the run.
   * @default 10_000_000
   */
  maxRequests?: number;
  /**
   * After the end, how long requests in flight (and, in the open model, queued) may still finish, ms.
   * What is left is cut off and counted as interrupted (or dropped).
   * @default 10_000
   */
  gracefulStopMs?: number;
  /** Stops the run early (Ctrl-C, a breakpoint found). */
  signal?: AbortSignal;
  /** Called about every `tickMs` while the run lasts, with the ms elapsed and the active VUs (busy connections in the open model). */
  onTick?: (elapsedMs: number, vus: number) => void;
  /**
   * Interval of `onTick` and of ramp updates, ms.
   * @default 100
   */
  tickMs?: number;
}

/** Options of {@link runClosed}. */
export interface ClosedRunOptions extends RunOptions {
  /** A fixed number of virtual users, or a ramp (its stages then give the duration). */
  vus: number | { start: number; stages: readonly Stage[] };
  /** Pause between a VU's requests, drawn uniformly from [min, max] ms; none when absent. */
  thinkTimeMs?: { min: number; max: number };
  /** Draws think times; required with `thinkTimeMs`. */
  random?: Random;
}

/** Options of {@link runOpen}. */
export interface OpenRunOptions extends RunOptions {
  /** A constant rate (requests per second), or a ramp (its stages then give the duration). */
  rate: number | { start: number; stages: readonly Stage[] };
  /**
   * Most connections open at once; each carries one request at a time.
   * @default 100
   */
  maxConnections?: number;
  /**
   * Most due requests waiting for a free connection; beyond it they are dropped.
   * @default 10_000
   */
  maxQueued?: number;
  /**
   * A request sent more than this after it was due is counted as late, ms.
   * @default 10
   */
  lateToleranceMs?: number;
}

const DEFAULT_MAX_REQUESTS = 10_000_000;

function validate(options: RunOptions): void {
  if (!(options.durationMs >= 0) || !Number.isFinite(options.durationMs)) {
    throw new RangeError(`durationMs must be a finite number >= 0, got ${options.durationMs}`);
  }
}

const stopped = (signal: AbortSignal | undefined) => signal?.aborted === true;

/**
 * Closed model: `vus` virtual users, each looping request → response → think.
 * Resolves when every VU has stopped; the recorder is finished.
 */
export async function runClosed(options: ClosedRunOptions): Promise<void> {
  validate(options);
  const ramp = typeof options.vus === 'number' ? { start: options.vus, stages: [{ durationMs: options.durationMs, target: options.vus }] } : options.vus;
  validateStages(ramp.start, ramp.stages, 'VU stages');
  const durationMs = ramp.stages.reduce((sum, s) => sum + s.durationMs, 0);
  const { recorder, next, signal } = options;
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const think = options.thinkTimeMs;
  if (think && (!options.random || !(think.min >= 0) || !(think.max >= think.min))) {
    throw new RangeError('thinkTimeMs needs 0 <= min <= max and a random source');
  }
  const start = recorder.startedAt;
  const end = start + durationMs;
  let issued = 0;
  let target = 0;
  let stopping = false;
  let wake: () => void = () => {};
  const stopped$ = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const running = new Map<number, { connection: HttpConnection; done: Promise<void> }>();

  const vu = async (id: number, connection: HttpConnection) => {
    while (!stopping && id < target && issued < maxRequests && performance.now() < end) {
      issued += 1;
      const { template, request } = next();
      const result = await connection.send(request);
      recorder.record(template.endpoint, result);
      if (think && !stopping) {
        const pauseMs = Math.min(think.min + options.random!() * (think.max - think.min), end - performance.now());
        if (pauseMs > 0) await Promise.race([delay(pauseMs), stopped$]);
      }
    }
    connection.close();
    running.delete(id);
  };

  const adjust = () => {
    const now = performance.now();
    if (now >= end || stopped(signal) || (issued >= maxRequests && running.size === 0)) {
      stopping = true;
      wake();
      return;
    }
    target = Math.round(valueAt(ramp.start, ramp.stages, now - start));
    for (let id = 0; id < target; id++) {
      if (running.has(id)) continue;
      const connection = new HttpConnection(options.client);
      const entry = { connection, done: Promise.resolve() };
      running.set(id, entry);
      entry.done = vu(id, connection);
    }
    recorder.sampleVus(running.size, now);
  };

  adjust();
  const ticker = setInterval(() => {
    adjust();
    options.onTick?.(performance.now() - start, running.size);
  }, options.tickMs ?? 100);
  await stopped$;
  clearInterval(ticker);
  await settle([...running.values()].map((r) => r.done), options.gracefulStopMs ?? 10_000, () => {
    for (const r of running.values()) r.connection.close();
  });
  recorder.finish();
}

/**
 * Open model: requests due at a constant or ramping rate, sent over up to
 * `maxConnections` keep-alive connections, latency measured from when each was
 * due. Resolves when the schedule is over and the queue and connections have
 * drained (or the graceful stop ran out); the recorder is finished.
 */
export async function runOpen(options: OpenRunOptions): Promise<void> {
  validate(options);
  const ramp = typeof options.rate === 'number' ? { start: options.rate, stages: [{ durationMs: options.durationMs, target: options.rate }] } : options.rate;
  const schedule = new ArrivalSchedule(ramp.start, ramp.stages);
  const { recorder, next, signal } = options;
  const maxRequests = options.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const maxConnections = options.maxConnections ?? 100;
  const maxQueued = options.maxQueued ?? 10_000;
  const lateToleranceMs = options.lateToleranceMs ?? 10;
  if (!(maxConnections >= 1) || !(maxQueued >= 0)) throw new RangeError('maxConnections must be >= 1 and maxQueued >= 0');
  const start = recorder.startedAt;

  const idle: HttpConnection[] = [];
  const all: HttpConnection[] = [];
  let queue: number[] = [];
  let head = 0;
  let index = 0;
  let busy = 0;
  let scheduling = true;
  let deadline = Infinity;
  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const send = (connection: HttpConnection, dueAt: number) => {
    busy += 1;
    const { template, request } = next();
    void connection.send(request).then((result) => {
      recorder.record(template.endpoint, result, dueAt);
      busy -= 1;
      idle.push(connection);
      pump();
    });
  };

  const pump = () => {
    const now = performance.now();
    if (scheduling && stopped(signal)) scheduling = false;
    while (scheduling) {
      const offset = index < maxRequests ? schedule.timeOf(index) : null;
      if (offset === null) {
        scheduling = false;
        break;
      }
      const dueAt = start + offset;
      if (dueAt > now) {
        if (dueAt < timerAt) {
          if (timer !== null) clearTimeout(timer);
          timerAt = dueAt;
          timer = setTimeout(() => {
            timer = null;
            timerAt = Infinity;
            pump();
          }, Math.max(0, dueAt - now));
        }
        break;
      }
      index += 1;
      if (queue.length - head >= maxQueued) recorder.drop(now);
      else queue.push(dueAt);
    }
    if (!scheduling && deadline === Infinity) deadline = now + (options.gracefulStopMs ?? 10_000);
    while (head < queue.length) {
      let connection = idle.pop();
      if (connection === undefined && all.length < maxConnections) {
        connection = new HttpConnection(options.client);
        all.push(connection);
      }
      if (connection === undefined) break;
      const dueAt = queue[head++]!;
      if (now - dueAt > lateToleranceMs) recorder.markLate(now);
      send(connection, dueAt);
    }
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    recorder.sampleVus(busy, now);
    if (!scheduling && head >= queue.length && busy === 0) finish();
  };

  pump();
  const ticker = setInterval(() => {
    const now = performance.now();
    if (!scheduling && now >= deadline) {
      // Graceful stop over: what never left the queue is dropped, what is in flight is cut off.
      for (; head < queue.length; head++) recorder.drop(now);
      for (const connection of all) connection.close();
    }
    pump();
    options.onTick?.(now - start, busy);
  }, options.tickMs ?? 100);
  await finished;
  clearInterval(ticker);
  if (timer !== null) clearTimeout(timer);
  for (const connection of all) connection.close();
  recorder.finish();
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promises`, or for `graceMs` and then calls `cutOff` and waits again. */
async function settle(promises: Promise<void>[], graceMs: number, cutOff: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  const outcome = await Promise.race([Promise.all(promises).then(() => 'done' as const), grace]);
  clearTimeout(timer);
  if (outcome === 'late') {
    cutOff();
    await Promise.all(promises);
  }
}
