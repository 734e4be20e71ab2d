/**
 * Node-only. What the benchmark and load-test scripts share: flag values
 * parsed with messages that name the flag, the target (remote from the
 * environment, or a local server started here), Ctrl-C handling and writing
 * result files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { startLocalTarget } from './local-target.js';
import type { ProgressOptions } from './progress.js';
import { runMetadata, type RunMetadata } from './run-metadata.js';
import { remoteTarget, type Target, type TargetEnv } from './target.js';

/** A flag with a bad value; scripts print the message and exit with code 2. */
export class UsageError extends Error {
  static readonly code = 'E_USAGE';
  readonly code = UsageError.code;
  override readonly name = 'UsageError';
}

/** A number flag, or `fallback` when absent. */
export function numberFlag(name: string, value: string | undefined, fallback: number, check: (n: number) => boolean = (n) => n > 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name}: "${value}" is not a valid value`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration such as `90s`, `30m`, `1h`, `1h30m` or `250ms`; a bare number is seconds.
 * @throws UsageError naming the flag.
 */
export function parseDuration(name: string, value: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`--${name}: "${value}" is not a duration (e.g. 90s, 30m, 1h)`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0);
  if (!(ms > 0)) throw new UsageError(`--${name}: the duration must be positive`);
  return ms;
}

/**
 * `--think-time 500-1500` (ms, drawn uniformly), `--think-time 1000` (fixed) or `0` (none).
 * @throws UsageError on anything else.
 */
export function parseThinkTime(value: string): { min: number; max: number } | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?))?\s*$/.exec(value);
  if (!m) throw new UsageError(`--think-time: "${value}" is not ms or a range of ms like 500-1500`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (max < min) throw new UsageError(`--think-time: the range ${value} runs backwards`);
  return max === 0 ? null : { min, max };
}

/** The server to measure, and how to let go of it. */
export interface OpenedTarget {
  target: Target;
  inProcessMemory?: () => { rssBytes: number; heapUsedBytes: number };
  close(): Promise<void>;
}

/**
 * BENCHMARK_URL (or `url`) when set and `local` is false; otherwise a local
 * Iris on embedded defaults, seeded with `runs` runs.
 */
export async function openTarget(o: { env: TargetEnv; url?: string; local: boolean; runs: number; log: (line: string) => void }): Promise<OpenedTarget> {
  const remote = o.local ? null : remoteTarget(o.env, o.url);
  if (remote !== null) return { target: remote, close: async () => {} };
  const local = await startLocalTarget({ runs: o.runs, log: o.log });
  return { target: local.target, inProcessMemory: local.memory, close: local.close };
}

/**
 * An AbortSignal that fires on the first Ctrl-C (or SIGTERM), so a run stops
 * and still reports; a second one exits at once.
 */
export function interruptSignal(log: (line: string) => void): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    log(`\n${signal}: stopping the run (again to quit at once)...`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}

/** Writes `text` to `path`, creating its folder; returns the absolute path. */
export function writeOutput(path: string, text: string): string {
  const absolute = resolve(path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, text);
  return absolute;
}

/** What a script's run gets from {@link measure}. */
export interface MeasureContext {
  target: Target;
  inProcessMemory?: () => { rssBytes: number; heapUsedBytes: number };
  /** Fires on Ctrl-C. */
  signal: AbortSignal;
  /** stderr, or null with `--quiet`. */
  progressStream: ProgressOptions['stream'] | null;
  log: (line: string) => void;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  tool: string;
  env: TargetEnv & Record<string, string | undefined>;
  /** `--url`. */
  url?: string;
  /** `--local`. */
  local: boolean;
  /** Runs seeded into a local Iris. */
  runs: number;
  /** Recorded in the metadata (no secrets). */
  options: Record<string, unknown>;
  /** `--quiet`: no live progress. */
  quiet: boolean;
  log: (line: string) => void;
}

/**
 * The frame both scripts share: Ctrl-C handling, the target (remote or a
 * local Iris started here and always stopped), the run metadata, then `run`.
 */
export async function measure<R>(o: MeasureOptions, run: (context: MeasureContext) => Promise<R>): Promise<{ meta: RunMetadata; result: R }> {
  const signal = interruptSignal(o.log);
  const opened = await openTarget({ env: o.env, url: o.url, local: o.local, runs: o.runs, log: o.log });
  try {
    const meta = runMetadata({
      tool: o.tool,
      targetUrl: opened.target.baseUrl,
      embedded: opened.target.embedded,
      options: { ...o.options, seededRuns: opened.target.embedded ? o.runs : null },
      env: o.env,
    });
    const result = await run({
      target: opened.target,
      inProcessMemory: opened.inProcessMemory,
      signal,
      progressStream: o.quiet ? null : process.stderr,
      log: o.log,
    });
    return { meta, result };
  } finally {
    await opened.close();
  }
}

/** An error of the tools' own (a stable `E_...` code) or a rejected option: its message says it all. */
function explained(error: unknown): error is Error {
  if (error instanceof RangeError) return true;
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('E_');
}

/**
 * Runs a script's `main` and exits with its code; a usage or configuration
 * error prints one line and exits with 2, anything else its stack and 2.
 */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(explained(error) ? `${name}: ${error.message}` : error);
      process.exit(2);
    },
  );
}
