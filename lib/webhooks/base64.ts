/**
 * Base64 (RFC 4648 §4) for the Standard Webhooks secret and signature, and
 * its URL-safe alphabet (§5) for ciphertexts, with Web-standard `btoa`/`atob`
 * only. Decoding is strict: anything that is not base64 is `null`, never a
 * partial result.
 */

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** URL-safe base64 without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * The bytes of standard or URL-safe base64 text (padding optional), or null
 * when `text` is not base64 at all.
 * @example
 * decodeBase64('aGk='); // Uint8Array [104, 105]
 */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text) || (/[+/]/.test(text) && /[_-]/.test(text))) return null;
  const bare = text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
  // Length 1 (mod 4) encodes no whole byte; padding, when present, must complete the last quantum.
  if (bare.length % 4 === 1 || (text.includes('=') && text.length % 4 !== 0)) return null;
  let binary: string;
  try {
    binary = atob(bare + '='.repeat((4 - (bare.length % 4)) % 4));
  } catch {
    return null;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
