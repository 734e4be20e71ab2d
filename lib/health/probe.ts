/**
 * The detailed health check's probes: one round trip to the database (the
 * applied migrations) and one to the KV, each with its own short budget, run
 * side by side. They go to the adapters directly, not through the database
 * guard or the cache's KV breaker: a health check must say whether the
 * dependency answers now, even while a circuit is open (the circuits' states
 * are reported beside it). Web-standard only (AbortController, setTimeout).
 */
import type { CircuitState } from '../cache/index.js';
import { DbError, EXPECTED_MIGRATIONS, HEALTH_MIGRATION, type Db } from '../db/index.js';
import { KvError, type KvStore } from '../kv/index.js';
import { compareMigrations, missingFrom, type MigrationReport } from './migrations.js';

/** `up`: answered within the slow threshold; `slow`: answered, later than it; `down`: no answer within the budget, or an error that says it is unreachable. */
export type DependencyStatus = 'up' | 'slow' | 'down';

export interface DependencyCheck {
  status: DependencyStatus;
  /** Time to the answer, or to giving up, in ms (one decimal). */
  latencyMs: number;
  /** Why it is down: `timeout` (no answer within the budget), `connection` (unreachable, lost), `error` (it refused the call). */
  reason?: 'timeout' | 'connection' | 'error';
  /** The SQLSTATE (or PostgREST code) of a database error, never its message. */
  sqlState?: string;
}

export interface HealthReport {
  /** `ok`; `degraded`: Iris serves, something optional is down or slow; `down`: a required dependency is down (the route answers 503). */
  status: 'ok' | 'degraded' | 'down';
  /** Required: without it nothing but cached reads works. */
  database: DependencyCheck & { kind: Db['kind']; required: true };
  migrations: MigrationReport;
  /** Optional: Iris fails open without it (L1 and the database; limits per instance). */
  kv: DependencyCheck & { kind: KvStore['kind']; required: false };
  circuits: { db: CircuitState; kv: CircuitState | 'none' };
}

export interface HealthProbeOptions {
  /** The database adapter itself (instrumented, not guarded). */
  db: Db;
  kv: KvStore;
  /** States of the database and KV circuits, read when a check runs. */
  circuits: () => HealthReport['circuits'];
  /**
   * The database probe's budget, in ms: past it the database is reported down (`timeout`).
   * @default 1_000
   */
  dbTimeoutMs?: number;
  /** A database answer slower than this is `slow` (the report is `degraded`), in ms. @default 250 */
  dbSlowMs?: number;
  /** The KV probe's budget, in ms. @default 500 */
  kvTimeoutMs?: number;
  /** A KV answer slower than this is `slow`, in ms: the cache's own KV budget, past which its calls give up. @default 50 */
  kvSlowMs?: number;
  /** Monotonic clock in ms for latencies; tests inject one their fake dependencies advance. @default performance.now */
  clock?: () => number;
  /** Starts a budget's timer and returns what cancels it; tests inject one they fire by hand. @default setTimeout */
  schedule?: (callback: () => void, ms: number) => () => void;
}

export interface HealthProbe {
  /** Asks the database and the KV, now. Never rejects. */
  check(): Promise<HealthReport>;
}

/** The KV key the probe reads: it never exists; the answer (null) is what counts. */
export const HEALTH_KV_KEY = 'iris:v1:health:probe';

const TIMED_OUT = Symbol('timed out');

/** How a probe's call ended. */
type Timed<T> = { latencyMs: number } & ({ outcome: 'answer'; value: T } | { outcome: 'error'; error: unknown } | { outcome: 'timeout' });

const defaultSchedule = (callback: () => void, ms: number) => {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
};

const round = (ms: number) => Math.round(ms * 10) / 10;

/** A database error that means the function is not there (the migration that adds it has not run). */
function isMissingFunction(error: unknown): boolean {
  return error instanceof DbError && (error.sqlState === '42883' || error.sqlState === 'PGRST202');
}

/**
 * Builds the probe.
 * @example
 * const probe = createHealthProbe({ db, kv, circuits: () => ({ db: 'closed', kv: 'closed' }) });
 * const report = await probe.check(); // report.status === 'ok'
 */
export function createHealthProbe(options: HealthProbeOptions): HealthProbe {
  const { db, kv, circuits } = options;
  const dbTimeoutMs = options.dbTimeoutMs ?? 1_000;
  const dbSlowMs = options.dbSlowMs ?? 250;
  const kvTimeoutMs = options.kvTimeoutMs ?? 500;
  const kvSlowMs = options.kvSlowMs ?? 50;
  const clock = options.clock ?? (() => performance.now());
  const schedule = options.schedule ?? defaultSchedule;

  /** Runs `call` within `timeoutMs` (aborting its signal then): what it ended with, and how long that took. */
  async function timed<T>(timeoutMs: number, call: (signal: AbortSignal) => Promise<T>): Promise<Timed<T>> {
    const controller = new AbortController();
    const started = clock();
    let cancel: () => void = () => {};
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      cancel = schedule(() => {
        controller.abort();
        resolve(TIMED_OUT);
      }, timeoutMs);
    });
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    // A late rejection after the budget is expected.
    pending.catch(() => {});
    try {
      const value = await Promise.race([pending, deadline]);
      const latencyMs = round(clock() - started);
      return value === TIMED_OUT ? { outcome: 'timeout', latencyMs } : { outcome: 'answer', value: value as T, latencyMs };
    } catch (error) {
      return { outcome: 'error', error, latencyMs: round(clock() - started) };
    } finally {
      cancel();
    }
  }

  async function probeDatabase(): Promise<{ check: HealthReport['database']; migrations: MigrationReport }> {
    const base = { kind: db.kind, required: true } as const;
    const result = await timed(dbTimeoutMs, (signal) => db.rpc('iris_applied_migrations', {}, { signal }));
    const { latencyMs } = result;
    const answered = { ...base, status: (latencyMs > dbSlowMs ? 'slow' : 'up') as DependencyStatus, latencyMs };
    const unknown = compareMigrations(null, EXPECTED_MIGRATIONS);
    switch (result.outcome) {
      case 'answer':
        return { check: answered, migrations: compareMigrations(result.value.map((row) => row.name), EXPECTED_MIGRATIONS) };
      case 'timeout':
        return { check: { ...base, status: 'down', latencyMs, reason: 'timeout' }, migrations: unknown };
      case 'error': {
        const { error } = result;
        // The database answered, so it is up; it just does not have the function yet.
        if (isMissingFunction(error)) return { check: answered, migrations: missingFrom(HEALTH_MIGRATION, EXPECTED_MIGRATIONS) };
        const sqlState = error instanceof DbError ? { sqlState: error.sqlState } : {};
        if (error instanceof DbError && error.unavailable) {
          const reason = error.unavailableReason === 'timeout' ? 'timeout' : 'connection';
          return { check: { ...base, status: 'down', latencyMs, reason, ...sqlState }, migrations: unknown };
        }
        // Any other answer (a permission error, say) proves it up too, but says nothing about migrations.
        return { check: { ...answered, reason: 'error', ...sqlState }, migrations: unknown };
      }
    }
  }

  async function probeKv(): Promise<HealthReport['kv']> {
    const base = { kind: kv.kind, required: false } as const;
    const result = await timed(kvTimeoutMs, () => kv.get(HEALTH_KV_KEY));
    const { latencyMs } = result;
    if (result.outcome === 'answer') return { ...base, status: latencyMs > kvSlowMs ? 'slow' : 'up', latencyMs };
    const timedOut = result.outcome === 'timeout' || (result.error instanceof KvError && result.error.reason === 'timeout');
    return { ...base, status: 'down', latencyMs, reason: timedOut ? 'timeout' : 'error' };
  }

  return {
    async check() {
      const [{ check: database, migrations }, kvCheck] = await Promise.all([probeDatabase(), probeKv()]);
      const states = circuits();
      const down = database.status === 'down' || migrations.status === 'behind';
      const degraded =
        database.status !== 'up' ||
        database.reason !== undefined ||
        kvCheck.status !== 'up' ||
        migrations.status !== 'current' ||
        states.db !== 'closed' ||
        (states.kv !== 'closed' && states.kv !== 'none');
      return { status: down ? 'down' : degraded ? 'degraded' : 'ok', database, migrations, kv: kvCheck, circuits: states };
    },
  };
}
