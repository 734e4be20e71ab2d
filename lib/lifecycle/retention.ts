import type { Db } from '../db/types.js';

/**
 * The retention sweep: deletes what every project's retention settings say is
 * due (raw runs, rollup buckets, expired idempotency records), one bounded
 * batch per statement, the tables in turn, until nothing more is due or the
 * time budget is spent. Each batch is its own short transaction that skips
 * rows another transaction holds, so ingest never waits on the sweep for more
 * than one batch, and a sweep stopped at any point (budget, crash, deploy)
 * leaves nothing half done: the next one simply continues. Idempotent.
 */

export type RetentionTable = 'model_runs' | 'run_rollups' | 'idempotency_keys';

/** Each table, and the RPC that deletes one batch of it. */
const TABLES: readonly { table: RetentionTable; rpc: 'delete_expired_runs' | 'delete_expired_rollups' | 'delete_expired_idempotency_keys' }[] = [
  { table: 'model_runs', rpc: 'delete_expired_runs' },
  { table: 'run_rollups', rpc: 'delete_expired_rollups' },
  { table: 'idempotency_keys', rpc: 'delete_expired_idempotency_keys' },
];

export const DEFAULT_RETENTION_BATCH_SIZE = 5_000;
export const MAX_RETENTION_BATCH_SIZE = 50_000;
/** Leaves a third of Vercel's 30 s maxDuration (vercel.json) for the batch in progress and the response. */
export const DEFAULT_RETENTION_BUDGET_MS = 20_000;

export interface RetentionSweepOptions {
  /**
   * Rows one statement deletes at most (1 to 50,000).
   * @default 5_000
   */
  batchSize?: number;
  /**
   * Time the sweep may spend, in ms: no batch starts once it is spent (the one
   * running then finishes, so a sweep may overrun by one batch).
   * @default 20_000
   */
  budgetMs?: number;
  /** Monotonic clock in ms; injected in tests. @default performance.now */
  now?: () => number;
  /** Called after every batch with the rows it deleted (metrics, logs). */
  onBatch?: (table: RetentionTable, deleted: number) => void;
}

export interface RetentionSweepReport {
  /** Rows deleted, by table. */
  deleted: Record<RetentionTable, number>;
  batches: number;
  /** `complete`: nothing more is due now. `budget_exhausted`: time ran out first; the next sweep continues. */
  outcome: 'complete' | 'budget_exhausted';
  elapsedMs: number;
}

/** A sweep that failed part way; `report` says what it had deleted (that much is committed). */
export class RetentionSweepError extends Error {
  static readonly code = 'E_RETENTION_SWEEP';
  override readonly name = 'RetentionSweepError';
  readonly report: RetentionSweepReport;

  constructor(report: RetentionSweepReport, cause: unknown) {
    super('the retention sweep failed part way', { cause });
    this.report = report;
  }
}

export class RetentionOptionsError extends Error {
  static readonly code = 'E_RETENTION_OPTIONS';
  override readonly name = 'RetentionOptionsError';
}

/**
 * Runs one sweep.
 * @throws RetentionOptionsError for a batch size or budget out of range;
 *   RetentionSweepError when a batch fails (its `cause` is the DbError).
 * @example
 * const report = await sweepRetention(db, { budgetMs: 10_000 });
 * if (report.outcome === 'budget_exhausted') log.info('retention continues next run', report);
 */
export async function sweepRetention(db: Db, options: RetentionSweepOptions = {}): Promise<RetentionSweepReport> {
  const batchSize = options.batchSize ?? DEFAULT_RETENTION_BATCH_SIZE;
  const budgetMs = options.budgetMs ?? DEFAULT_RETENTION_BUDGET_MS;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_RETENTION_BATCH_SIZE) {
    throw new RetentionOptionsError(`batchSize must be a whole number from 1 to ${MAX_RETENTION_BATCH_SIZE}, not ${batchSize}`);
  }
  if (!(budgetMs > 0) || !Number.isFinite(budgetMs)) throw new RetentionOptionsError(`budgetMs must be a positive number of ms, not ${budgetMs}`);
  const now = options.now ?? (() => performance.now());
  const started = now();
  const report: RetentionSweepReport = {
    deleted: { model_runs: 0, run_rollups: 0, idempotency_keys: 0 },
    batches: 0,
    outcome: 'complete',
    elapsedMs: 0,
  };
  // In turn, so a large backlog in one table never starves the others.
  let due = [...TABLES];
  try {
    while (due.length > 0) {
      const next: typeof due = [];
      for (const entry of due) {
        if (now() - started >= budgetMs) {
          report.outcome = 'budget_exhausted';
          return report;
        }
        const [row] = await db.rpc(entry.rpc, { p_limit: batchSize });
        const deleted = row?.deleted ?? 0;
        report.batches += 1;
        report.deleted[entry.table] += deleted;
        options.onBatch?.(entry.table, deleted);
        // A short batch means nothing more of this table is due right now.
        if (deleted >= batchSize) next.push(entry);
      }
      due = next;
    }
    return report;
  } catch (error) {
    throw new RetentionSweepError(report, error);
  } finally {
    report.elapsedMs = Math.round(now() - started);
  }
}
