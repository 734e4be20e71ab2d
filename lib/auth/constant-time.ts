import { sha256Hex } from './api-key.js';

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

/**
 * True when `given` equals the configured `expected` secret. Both are hashed
 * first (SHA-256), so the comparison takes the same time whatever the lengths,
 * and then compared in constant time.
 * @example
 * if (!(await secretMatches(bearerToken(header), config.cronSecret))) throw unauthorized();
 */
export async function secretMatches(given: string | null, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(given ?? ''), sha256Hex(expected)]);
  return given !== null && given !== '' && timingSafeEqualString(a, b);
}
