/**
 * What every scenario of `npm run bench:cache` returns, the settings they
 * share, and small helpers for counting what they saw.
 */
import { seededRandom, standardReadMix } from '../../lib/loadgen/index.js';

export interface BenchSettings {
  quick: boolean;
  /** Interleaved rounds per comparison. */
  rounds: number;
  /** Length of one measured run, in seconds. */
  roundS: number;
  /** Unrecorded run of each variant before its rounds, in seconds. */
  warmupS: number;
  /** autocannon connections (keep-alive, no pipelining) on the hot paths and mixes. */
  connections: number;
  /** Connections on the cold path, where every request is a database computation. */
  coldConnections: number;
  /** Progress line, printed at once. */
  progress(line: string): void;
}

/** One target of the brief: pass or fail. */
export interface Check {
  name: string;
  /** The measured value, as printed. */
  value: string;
  /** The target, as printed (`>= 0.70`). */
  target: string;
  pass: boolean;
}

export interface ScenarioReport {
  id: string;
  title: string;
  /** The table, already formatted. */
  table: string;
  notes: string[];
  checks: Check[];
  /** Everything measured, for `--json`. */
  data: Record<string, unknown>;
}

/** A check whose value is a number compared with a bound. */
export function check(name: string, value: number, op: '>=' | '<=' | '==' | '>', bound: number, format: (n: number) => string = String): Check {
  const pass = op === '>=' ? value >= bound : op === '<=' ? value <= bound : op === '>' ? value > bound : value === bound;
  return { name, value: format(value), target: `${op} ${format(bound)}`, pass };
}

/** How many responses had another status than `expected`. */
export function unexpectedStatuses(codes: Record<string, number>, expected: number): number {
  return Object.entries(codes).reduce((n, [code, count]) => (Number(code) === expected ? n : n + count), 0);
}

/** Adds one to `record[key]`. */
export function increment(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}

/** Paths of the benchmark's standard read mix (lib/loadgen): overview, stats, experts, reports. */
export function standardReadPaths(): string[] {
  const random = seededRandom(1);
  return standardReadMix().map((t) => (typeof t.path === 'string' ? t.path : t.path(random)));
}

const interruptStops = new Set<() => Promise<unknown>>();

/** Registers a stop to run on Ctrl-C before the process exits (a throwaway server's clean shutdown); returns its removal. */
export function stopOnInterrupt(stop: () => Promise<unknown>): () => void {
  interruptStops.add(stop);
  return () => interruptStops.delete(stop);
}

/** Runs the registered stops, giving up after `timeoutMs`. */
export async function runInterruptStops(timeoutMs: number): Promise<void> {
  const all = Promise.allSettled([...interruptStops].map((stop) => stop()));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
}
