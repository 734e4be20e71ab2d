/**
 * Encryption of webhook secrets at rest, with Web Crypto only: AES-256-GCM
 * (NIST SP 800-38D) under `IRIS_ENCRYPTION_KEY` (32 random bytes, parsed by
 * lib/config.ts), a fresh 96-bit IV per secret, and the secret's context (its
 * project and endpoint ids) as additional authenticated data, so a ciphertext
 * copied onto another endpoint does not open. The database only ever holds
 * `v1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`; the key id (the first 8 hex
 * digits of the key's SHA-256) tells a changed key from a tampered value.
 *
 * Key rotation: values sealed under a previous key (`IRIS_ENCRYPTION_KEY_PREVIOUS`)
 * still open, found by their key id; everything new is sealed under the
 * current key, and `open` says when a value should be sealed again.
 *
 * The keys and the plaintexts are never logged, never a metric label, never
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

/**
 * `underPreviousKey`: the value opened under one of the previous keys, so it
 * should be sealed again under the current one before that key is retired.
 */
export type OpenResult = { ok: true; plaintext: string; underPreviousKey: boolean } | { ok: false; reason: OpenFailure };

export interface SecretBoxOptions {
  /**
   * Keys that sealed values in the past (32 bytes each), tried by key id when
   * a value was not sealed under the current key; never used to seal.
   * @default []
   */
  previous?: readonly Uint8Array<ArrayBuffer>[];
}

export interface SecretBox {
  /** Encrypts `plaintext` bound to `context`. */
  seal(plaintext: string, context: string): Promise<string>;
  /** Decrypts what `seal` made with the same key and context. */
  open(sealed: string, context: string): Promise<OpenResult>;
}

/** The id written into every value a key seals: the first 8 hex digits of the key's SHA-256. */
async function keyIdOf(key: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', key));
  return [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function checkLength(key: Uint8Array, which: string): void {
  if (key.length !== ENCRYPTION_KEY_BYTES) throw new TypeError(`${which} must be ${ENCRYPTION_KEY_BYTES} bytes`);
}

/**
 * A box that seals under `key` and opens what `key` or any of `options.previous` sealed.
 * @throws TypeError when a key is not 32 bytes.
 * @example
 * const box = createSecretBox(config.encryptionKey, { previous: config.previousEncryptionKeys });
 * const stored = await box.seal(secret, secretContext(projectId, endpointId));
 */
export function createSecretBox(key: Uint8Array<ArrayBuffer>, options: SecretBoxOptions = {}): SecretBox {
  checkLength(key, 'the encryption key');
  const previous = options.previous ?? [];
  previous.forEach((k, i) => checkLength(k, `previous encryption key ${i + 1}`));
  // Imported once per box, on first use; the raw bytes are not kept beyond that.
  const ready = (async () => {
    const keys = new Map<string, { cryptoKey: CryptoKey; current: boolean }>();
    const keyId = await keyIdOf(key);
    keys.set(keyId, { cryptoKey: await crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']), current: true });
    for (const old of previous) {
      const id = await keyIdOf(old);
      // The current key wins a (vanishingly unlikely) id clash; a repeated previous key is one entry.
      if (!keys.has(id)) keys.set(id, { cryptoKey: await crypto.subtle.importKey('raw', old, 'AES-GCM', false, ['decrypt']), current: false });
    }
    return { keyId, cryptoKey: keys.get(keyId)!.cryptoKey, keys };
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
      const { keys } = await ready;
      const parts = value.split('.');
      const bytes = parts.length === 3 && parts[0] === VERSION && /^[0-9a-f]{8}$/.test(parts[1]!) ? decodeBase64(parts[2]!) : null;
      if (!bytes || bytes.length < IV_BYTES + TAG_BYTES) return { ok: false, reason: 'malformed' };
      const sealer = keys.get(parts[1]!);
      if (sealer === undefined) return { ok: false, reason: 'other_key' };
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: encoder.encode(context) },
          sealer.cryptoKey,
          bytes.subarray(IV_BYTES),
        );
        return { ok: true, plaintext: decoder.decode(plain), underPreviousKey: !sealer.current };
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
