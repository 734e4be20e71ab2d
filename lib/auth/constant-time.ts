/**
 * Constant-time string comparison. The loop always walks the longer input and
 * folds every difference into one accumulator, so the time taken depends on the
 * lengths only, never on where the first difference is.
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < length; i++) {
    diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  }
  return diff === 0;
}
