/**
 * Sealing a secret into an idempotency record, with Web Crypto only.
 *
 * A replay must give back the first answer, and the first answer of
 * `POST /api/admin/api-keys` (and of a rotation) holds a plaintext API key,
 * which Iris never stores. So the record keeps the key sealed: AES-256-GCM
 * under a key derived (HKDF-SHA256, RFC 5869) from a server secret and the
 * Idempotency-Key itself. The database holds neither (the Idempotency-Key only
 * as its SHA-256), so a copy of the database opens nothing, and only a
 * retry presenting the same Idempotency-Key with the server secret can.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const VERSION = 'v1';
const SALT = encoder.encode('iris idempotency seal v1');
const IV_BYTES = 12;

export interface SealOptions {
  /** A server-side secret the database never sees (the admin routes use IRIS_ADMIN_TOKEN). */
  secret: string;
  /** What the sealed text is bound to: the scope and the Idempotency-Key. Another context cannot open it. */
  context: string;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

async function deriveKey(options: SealOptions): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(options.secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: encoder.encode(options.context) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

/**
 * Encrypts `plaintext` for `options.context`: `v1.<base64url(iv ‖ ciphertext ‖ tag)>`.
 * @example
 * const sealed = await seal(apiKey, { secret: adminToken, context: `admin\n${idempotencyKey}` });
 */
export async function seal(plaintext: string, options: SealOptions): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await deriveKey(options), encoder.encode(plaintext)));
  const out = new Uint8Array(IV_BYTES + ciphertext.byteLength);
  out.set(iv);
  out.set(ciphertext, IV_BYTES);
  return `${VERSION}.${base64url(out)}`;
}

/** The plaintext, or null when `sealed` is malformed or was sealed with another secret or context. */
export async function unseal(sealed: string, options: SealOptions): Promise<string | null> {
  const [version, body, extra] = sealed.split('.');
  if (version !== VERSION || body === undefined || extra !== undefined) return null;
  const bytes = fromBase64url(body);
  if (!bytes || bytes.byteLength <= IV_BYTES) return null;
  try {
    const plaintext = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, await deriveKey(options), bytes.subarray(IV_BYTES));
    return decoder.decode(plaintext);
  } catch {
    return null;
  }
}
