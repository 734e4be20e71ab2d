export interface DbErrorOptions {
  cause?: unknown;
  /**
   * True when the call was sent and its outcome is unknown (the connection
   * dropped, or the time budget ran out, after the statement went out): a
   * write may have been stored. False when the call was refused before it
   * was sent (circuit open, connection refused, cancelled while queued), or
   * when the database answered with an error: every RPC is one statement,
   * which Postgres rolls back when it fails.
   * @default false
   */
  mayHaveCommitted?: boolean;
  /** Seconds after which a retry may succeed (the circuit's next probe), when known. @default undefined */
  retryAfterS?: number;
}

/**
 * The one error every Db adapter rejects with, so callers never see a
 * driver-specific shape.
 */
export class DbError extends Error {
  static readonly code = 'E_DB';
  override readonly name = 'DbError';
  /** The RPC that failed. */
  readonly fn: string;
  /**
   * SQLSTATE when Postgres answered (for example `23505`), or one of
   * `connection` (could not reach the database, or lost it), `timeout` (no
   * answer within the call's budget) and `circuit_open` (not attempted: the
   * database is known to be down).
   */
  readonly sqlState: string;
  /** See `DbErrorOptions.mayHaveCommitted`. */
  readonly mayHaveCommitted: boolean;
  /** See `DbErrorOptions.retryAfterS`. */
  readonly retryAfterS: number | undefined;

  constructor(fn: string, sqlState: string, message: string, options: DbErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.fn = fn;
    this.sqlState = sqlState;
    this.mayHaveCommitted = options.mayHaveCommitted ?? false;
    this.retryAfterS = options.retryAfterS;
  }

  /** True when the database itself could not be reached or did not answer in time. */
  get unavailable(): boolean {
    // 08xxx: connection exceptions; 57014: statement timeout (canceled); 57P0x: shutting down or starting;
    // 53300: too many connections; PGRST000-003: PostgREST could not reach or pool the database.
    return (
      this.sqlState === 'connection' ||
      this.sqlState === 'timeout' ||
      this.sqlState === 'circuit_open' ||
      this.sqlState === '57014' ||
      this.sqlState === '53300' ||
      this.sqlState.startsWith('08') ||
      this.sqlState.startsWith('57P') ||
      /^PGRST00[0-3]$/.test(this.sqlState)
    );
  }

  /**
   * Why the database gave no answer, for the 503's details and metric labels:
   * `circuit_open` (not attempted), `timeout` (no answer in time, or the
   * statement timeout cancelled it), `connection` (unreachable, lost, or
   * shutting down). Undefined when the database answered.
   */
  get unavailableReason(): 'circuit_open' | 'timeout' | 'connection' | undefined {
    if (!this.unavailable) return undefined;
    if (this.sqlState === 'circuit_open') return 'circuit_open';
    return this.sqlState === 'timeout' || this.sqlState === '57014' ? 'timeout' : 'connection';
  }

  /** A copy that says when a retry may succeed. */
  withRetryAfter(retryAfterS: number): DbError {
    return new DbError(this.fn, this.sqlState, this.message, { cause: this.cause, mayHaveCommitted: this.mayHaveCommitted, retryAfterS });
  }
}
