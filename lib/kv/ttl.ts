/**
 * Checks a TTL given to `set` or `pexpire` and rounds fractions up, since Redis
 * only takes whole milliseconds.
 * @throws RangeError when `ttlMs` is not a finite number greater than 0.
 */
export function wholeTtlMs(ttlMs: number): number {
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) {
    throw new RangeError(`ttlMs must be a finite number greater than 0, got ${ttlMs}`);
  }
  return Math.ceil(ttlMs);
}
