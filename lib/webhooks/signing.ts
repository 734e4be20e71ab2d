/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec
 * "Signature scheme" and "Webhook headers";
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
 * with Web Crypto only, so it runs on Node and Edge alike:
 *
 * - the secret is `whsec_` + base64 of 24 to 64 random bytes (Iris makes 32);
 * - the signed content is `{webhook-id}.{webhook-timestamp}.{body}`;
 * - `webhook-signature` is `v1,` + base64 of its HMAC-SHA256 under the secret's bytes.
 *
 * Receivers verify with the `standardwebhooks` package (docs/costs.md#webhooks).
 */
import { decodeBase64, encodeBase64 } from './base64.js';

export const SECRET_PREFIX = 'whsec_';
/** Random bytes in a secret Iris generates. */
export const SECRET_BYTES = 32;
/** The spec's bounds on a symmetric secret, in bytes. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

/** The header names, as the spec writes them. */
export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

const encoder = new TextEncoder();

/** A new endpoint secret: `whsec_` + base64 of 32 bytes from the platform CSPRNG. */
export function generateSecret(): string {
  return SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

/** The key bytes of a `whsec_` secret, or null when it is not one (wrong prefix, not base64, 24..64 bytes). */
export function secretBytes(secret: string): Uint8Array<ArrayBuffer> | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const bytes = decodeBase64(secret.slice(SECRET_PREFIX.length));
  return bytes && bytes.length >= MIN_SECRET_BYTES && bytes.length <= MAX_SECRET_BYTES ? bytes : null;
}

/** What one delivery attempt is signed over. */
export interface SignedContent {
  /** `webhook-id`: the event's id, the same on every attempt (receivers deduplicate by it). Must not contain `.`. */
  id: string;
  /** `webhook-timestamp`: when this attempt is made, in whole seconds since the epoch. */
  timestampS: number;
  /** The exact body sent. */
  body: string;
}

/**
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 * @throws TypeError for a secret that is not a `whsec_` secret, or an id containing `.`.
 */
export async function sign(secret: string, content: SignedContent): Promise<string> {
  const key = secretBytes(secret);
  if (!key) throw new TypeError('not a whsec_ secret of 24 to 64 bytes');
  // A "." in the id would let one signed content pass for another (the spec forbids it).
  if (content.id.includes('.') || !Number.isSafeInteger(content.timestampS)) throw new TypeError('webhook-id must not contain "." and the timestamp must be whole seconds');
  const hmac = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = await crypto.subtle.sign('HMAC', hmac, encoder.encode(`${content.id}.${content.timestampS}.${content.body}`));
  return `v1,${encodeBase64(new Uint8Array(mac))}`;
}

/**
 * The three Standard Webhooks headers of one attempt. With several secrets
 * (the current one first, then the one a rotation keeps for its overlap),
 * `webhook-signature` carries one signature per secret, space-delimited, as
 * the spec allows for rotation: a receiver accepts the delivery when any of
 * them verifies under the secret it holds.
 * @example
 * await webhookHeaders(secret, { id: event.id, timestampS: Math.floor(Date.now() / 1000), body });
 * // { 'webhook-id': '…', 'webhook-timestamp': '1764587731', 'webhook-signature': 'v1,…' }
 * @throws TypeError as `sign` does, or for an empty list of secrets
 */
export async function webhookHeaders(secrets: string | readonly string[], content: SignedContent): Promise<Record<string, string>> {
  const all = typeof secrets === 'string' ? [secrets] : secrets;
  if (all.length === 0) throw new TypeError('at least one secret is needed to sign');
  const signatures = await Promise.all(all.map((secret) => sign(secret, content)));
  return {
    [WEBHOOK_ID_HEADER]: content.id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(content.timestampS),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(' '),
  };
}
