/**
 * A fast non-cryptographic 64-bit string hash (two 32-bit multiply-xorshift
 * lanes, the cyrb53 construction widened to 64 bits), for cache keys only.
 * It is not collision-resistant against an adversary: a key also carries the
 * project and resource in clear, so a crafted collision can only make one
 * parameter set of the caller's own project read another of the same project.
 */

const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');

/** The 64-bit hash of `text`'s UTF-16 code units, as 16 lowercase hex characters. */
export function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex8(h2) + hex8(h1);
}
