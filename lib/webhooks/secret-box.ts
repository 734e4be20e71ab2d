/**
 * Encryption of webhook secrets at rest, with Web Crypto only: AES-256-GCM
 * (NIST SP 800-38D) under `IRIS_ENCRYPTION_KEY` (32 random bytes, parsed by
 * lib/config.ts), a fresh 96-bit IV per secret, and the secret's context (its
 * project and endpoint ids) as additional authenticated data, so a ciphertext
 * copied onto another endpoint does not open. The database only ever holds
 * `v1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`; the key id (the first 8 hex
 * digits of the key's SHA-256) tells a changed key from a tampered value.
 *
 * The key and the plaintexts are never logged, never a metric label, never
 * part of a cache key.
 */
import { decodeBase64, encodeBase64Url } from './base64.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Bytes of the key (AES-256). */
export const ENCRYPTION_KEY_BYTES = 32;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Why a sealed value did not open: a malformed value, another key than this one, or a value (or context) that was changed. */
export type OpenFailure = 'malformed' | 'other_key' | 'tampered';

export type OpenResult = { ok: true; plaintext: string } | { ok: false; reason: OpenFailure };

export interface SecretBox {
  /** Encrypts `plaintext` bound to `context`. */
  seal(plaintext: string, context: string): Promise<string>;
  /** Decrypts what `seal` made with the same key and context. */
  open(sealed: string, context: string): Promise<OpenResult>;
}

/**
 * A box for one key.
 * @throws TypeError when `key` is not 32 bytes.
 * @example
 * const box = createSecretBox(config.encryptionKey);
 * const stored = await box.seal(secret, secretContext(projectId, endpointId));
 */
export function createSecretBox(key: Uint8Array<ArrayBuffer>): SecretBox {
  if (key.length !== ENCRYPTION_KEY_BYTES) throw new TypeError(`the encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
  // Imported once per box, on first use; the raw bytes are not kept beyond that.
  const ready = (async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', key));
    const keyId = [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
    const cryptoKey = await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
    return { keyId, cryptoKey };
  })();

  return {
    async seal(plaintext, context) {
      const { keyId, cryptoKey } = await ready;
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(context) }, cryptoKey, encoder.encode(plaintext)),
      );
      const out = new Uint8Array(IV_BYTES + sealed.length);
      out.set(iv);
      out.set(sealed, IV_BYTES);
      return `${VERSION}.${keyId}.${encodeBase64Url(out)}`;
    },
    async open(value, context) {
      const { keyId, cryptoKey } = await ready;
      const parts = value.split('.');
      const bytes = parts.length === 3 && parts[0] === VERSION && /^[0-9a-f]{8}$/.test(parts[1]!) ? decodeBase64(parts[2]!) : null;
      if (!bytes || bytes.length < IV_BYTES + TAG_BYTES) return { ok: false, reason: 'malformed' };
      if (parts[1] !== keyId) return { ok: false, reason: 'other_key' };
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(context) },
          cryptoKey,
          bytes.subarray(IV_BYTES),
        );
        return { ok: true, plaintext: decoder.decode(plain) };
      } catch {
        return { ok: false, reason: 'tampered' };
      }
    },
  };
}

/** What an endpoint's secret is bound to: its project and its id. */
export function secretContext(projectId: string, endpointId: string): string {
  return `iris webhook secret v1\n${projectId}\n${endpointId}`;
}
