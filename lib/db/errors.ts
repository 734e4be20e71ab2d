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
   * `connection` (could not reach the database) and `timeout`.
   */
  readonly sqlState: string;

  constructor(fn: string, sqlState: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.fn = fn;
    this.sqlState = sqlState;
  }

  /** True when the database itself could not be reached or did not answer in time. */
  get unavailable(): boolean {
    // 08xxx: Postgres connection exceptions; PGRST000-003: PostgREST could not reach or pool the database.
    return (
      this.sqlState === 'connection' ||
      this.sqlState === 'timeout' ||
      this.sqlState.startsWith('08') ||
      /^PGRST00[0-3]$/.test(this.sqlState)
    );
  }
}
