/**
 * Live progress of a run: on a TTY one status line rewritten in place
 * (elapsed/remaining, VUs, req/s, p95 so far, errors); elsewhere (CI logs) a
 * plain line every `plainEveryMs`.
 */
import { clock, ms, num, pct } from './format.js';
import type { Recorder } from './recorder.js';

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Where lines go. @default process.stderr */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Name shown at the start of the line (phase or scenario). */
  label: string;
  /** Planned duration of the run, ms. */
  totalMs: number;
  /**
   * Without a TTY, print a line this often, ms.
   * @default 10_000
   */
  plainEveryMs?: number;
  /**
   * On a TTY, redraw at most this often, ms.
   * @default 250
   */
  redrawEveryMs?: number;
}

export interface Progress {
  /** Reports the state `elapsedMs` into the run. */
  update(recorder: Recorder, vus: number, elapsedMs: number): void;
  /** Ends the live line. */
  done(): void;
}

/** The status text: `[0:12 / 0:18 left] VUs 10 | 123.4 req/s | p95 12.3 ms | errors 0 (0.00%)`. */
export function progressLine(label: string, recorder: Recorder, vus: number, elapsedMs: number, totalMs: number): string {
  const recent = recorder.window(2000, recorder.startedAt + elapsedMs);
  const { requests, failed, dropped } = recorder.counts;
  const p95 = recorder.percentileSoFar(95);
  const parts = [
    `${label} [${clock(elapsedMs)} / ${clock(Math.max(0, totalMs - elapsedMs))} left]`,
    `VUs ${vus}`,
    `${num(recent.requests / recent.seconds, 1)} req/s`,
    `p95 ${p95 === null ? '-' : `${ms(p95)} ms`}`,
    `errors ${num(failed)} (${pct(requests === 0 ? 0 : failed / requests)})`,
  ];
  if (dropped > 0) parts.push(`dropped ${num(dropped)}`);
  return parts.join(' | ');
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const every = tty ? (options.redrawEveryMs ?? 250) : (options.plainEveryMs ?? 10_000);
  let last = -Infinity;
  let drawn = false;
  return {
    update(recorder, vus, elapsedMs) {
      if (elapsedMs - last < every) return;
      last = elapsedMs;
      const line = progressLine(options.label, recorder, vus, elapsedMs, options.totalMs);
      if (tty) {
        stream.write(`\r\x1b[2K${line}`);
        drawn = true;
      } else {
        stream.write(`${line}\n`);
      }
    },
    done() {
      if (tty && drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}
