import type * as NodeCryptoModule from 'node:crypto';
import { sha256HexShort } from './sha256.js';

/**
 * API key format and hashing. Keys look like `iris_sk_` + 32 random bytes in
 * base64url (43 characters). Only the SHA-256 hex digest is ever stored; the
 * plaintext is shown once, at creation or rotation.
 */

export const API_KEY_PREFIX = 'iris_sk_';
const KEY_PATTERN = /^iris_sk_[A-Za-z0-9_-]{43}$/;
/** Characters of the key kept for display (`iris_sk_` plus six). */
export const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

type NodeCrypto = typeof NodeCryptoModule;

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** True when `value` has the shape of an Iris API key (cheap check before hashing). */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** A new random key from the platform CSPRNG. */
export function generateApiKey(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return API_KEY_PREFIX + base64url(bytes);
}

/**
 * Node's synchronous hash when the runtime has it. `crypto.subtle.digest` hops
 * to a worker thread and back, which costs more than hashing 51 bytes: on every
 * authenticated request that hop was about a fifth of the CPU of a cache hit.
 * Edge runtimes have no `process.getBuiltinModule` and use Web Crypto.
 */
const nodeCrypto = (
  globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
).process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;

/**
 * Lower-case hex SHA-256 of a string, synchronously where the runtime can:
 * an API key (and any ASCII string of at most 55 characters) on every runtime,
 * by the one-block function of sha256.ts, which costs a request less than
 * Node's hash does; anything longer with Node's hash; undefined on runtimes
 * that only have Web Crypto (use `sha256Hex`).
 */
export function sha256HexSync(value: string): string | undefined {
  const short = sha256HexShort(value);
  if (short !== undefined) return short;
  if (!nodeCrypto) return undefined;
  // crypto.hash (Node 20.12+) is the one-shot form, without a Hash object per call.
  return typeof nodeCrypto.hash === 'function'
    ? nodeCrypto.hash('sha256', value, 'hex')
    : nodeCrypto.createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Lower-case hex SHA-256 of a string (the stored form of a key or token). */
export async function sha256Hex(value: string): Promise<string> {
  return sha256HexSync(value) ?? hex(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/** The part of a key that may be shown in listings. */
export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_PREFIX_LENGTH);
}
