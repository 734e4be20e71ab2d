/** A `KvStore` method name, as recorded on a `KvError`. */
export type KvOp = 'get' | 'mget' | 'set' | 'del' | 'incr' | 'append' | 'pexpire' | 'delIfEquals';

/**
 * Why a KV call failed: `timeout` when the store did not answer within its
 * time budget, `error` for everything else (refused, bad reply, a Redis error
 * such as incrementing a non-integer).
 */
export type KvErrorReason = 'timeout' | 'error';

/** The one error every `KvStore` rejects with, whatever the backend. */
export class KvError extends Error {
  static readonly code = 'E_KV';
  override readonly name = 'KvError';
  /** Stable code, the same as `KvError.code`. */
  readonly code = KvError.code;
  /** The method that failed. */
  readonly op: KvOp;
  readonly reason: KvErrorReason;

  constructor(op: KvOp, reason: KvErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.op = op;
    this.reason = reason;
  }
}

