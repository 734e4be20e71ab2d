/**
 * SHA-256 (FIPS 180-4) of a short ASCII string, in plain JavaScript, for the
 * one hash on every authenticated request: the API key's (51 ASCII bytes, one
 * 64-byte block).
 *
 * Why not `crypto.hash`: in a loop Node's one-shot hash takes about 0.9 µs and
 * this function about 1.4 µs, but in a server answering from L1 the order flips:
 * between requests OpenSSL's digest machinery falls out of the CPU caches, and
 * this function cost a budget check about 5 µs of CPU less (PERFORMANCE.md,
 * "The API key's hash"). Its code and 64 round constants stay cached, and it
 * allocates one string.
 *
 * Only what fits one block is handled here (ASCII, at most 55 bytes);
 * `sha256HexShort` returns undefined for anything else and the caller uses the
 * platform's hash. There are no data-dependent branches or table lookups in the
 * compression, so its timing does not depend on the key.
 */

/** Round constants: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** Initial hash value: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Longest message that fits one block with its padding: 64 bytes less the 0x80 byte and the 8-byte length. */
export const SHA256_ONE_BLOCK_MAX = 55;

// Scratch space, reused by every call (JavaScript runs one call at a time).
const W = new Int32Array(64);
const H = new Int32Array(8);
/** The digest as 64 bytes of lower-case hex, and the decoder that makes them a string (ASCII is the same in windows-1252). */
const OUT = new Uint8Array(64);
const HEX = new TextDecoder('latin1');
const HEX_DIGITS = new Uint8Array([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102]);

/**
 * Lower-case hex SHA-256 of `value` when it is ASCII and at most 55
 * characters long (one block), else undefined.
 */
export function sha256HexShort(value: string): string | undefined {
  const n = value.length;
  if (n > SHA256_ONE_BLOCK_MAX) return undefined;
  W.fill(0, 0, 16);
  for (let i = 0; i < n; i++) {
    const code = value.charCodeAt(i);
    if (code > 0x7f) return undefined;
    W[i >> 2]! |= code << (24 - ((i & 3) << 3));
  }
  W[n >> 2]! |= 0x80 << (24 - ((n & 3) << 3));
  W[15] = n << 3;
  compress();
  for (let i = 0; i < 8; i++) {
    const word = H[i]!;
    for (let j = 0; j < 8; j++) OUT[(i << 3) + j] = HEX_DIGITS[(word >>> (28 - (j << 2))) & 0xf]!;
  }
  return HEX.decode(OUT);
}

/** One block of the compression function over W[0..15], from the initial hash value into H. */
function compress(): void {
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15]!;
    const w2 = W[t - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
  }
  let a = H0[0]!;
  let b = H0[1]!;
  let c = H0[2]!;
  let d = H0[3]!;
  let e = H0[4]!;
  let f = H0[5]!;
  let g = H0[6]!;
  let h = H0[7]!;
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H0[0]! + a) | 0;
  H[1] = (H0[1]! + b) | 0;
  H[2] = (H0[2]! + c) | 0;
  H[3] = (H0[3]! + d) | 0;
  H[4] = (H0[4]! + e) | 0;
  H[5] = (H0[5]! + f) | 0;
  H[6] = (H0[6]! + g) | 0;
  H[7] = (H0[7]! + h) | 0;
}
