/**
 * Digests for idempotent requests, with Web Crypto only (runs on Node and Edge).
 *
 * The fingerprint is what the draft calls an idempotency fingerprint: a
 * checksum of the request, so a key reused for a different request is caught
 * (422) instead of replaying an answer that belongs to something else. It
 * covers the method, the path and the body as Iris validated it (its JSON
 * serialisation after parsing), so whitespace and number spelling do not
 * matter, and the same body sent again always matches.
 */

const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(buffer)) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Lower-case hex SHA-256 of a string. */
export async function sha256(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

/**
 * The fingerprint of one request: SHA-256 of `METHOD path` and the body's JSON.
 * @example
 * await requestFingerprint('POST', '/api/iris/runs', runs) // 64 hex characters
 */
export function requestFingerprint(method: string, path: string, body: unknown): Promise<string> {
  return sha256(`${method.toUpperCase()} ${path}\n${JSON.stringify(body ?? null)}`);
}

/**
 * How the key is stored: SHA-256 of the key alone. The scope (project or
 * admin) is a column of its own, so the same key in two projects is two rows.
 */
export function idempotencyKeyHash(key: string): Promise<string> {
  return sha256(key);
}
