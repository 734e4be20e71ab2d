/**
 * Deterministic assignment of subjects to variants: a pure function of the
 * experiment's salt, the subject id and the weights, so every instance, process
 * and language that implements it agrees without sharing any state, and a
 * subject keeps its variant for the experiment's life (variants and weights
 * are frozen once it runs).
 *
 * The point is u = MurmurHash3_x86_32(UTF-8 of `<salt>:<subject>`, seed 0) / 2³²,
 * a uniform number in [0, 1); the variant is the first whose cumulative weight
 * share exceeds u. MurmurHash3 (Austin Appleby, public domain,
 * https://github.com/aappleby/smhasher) is chosen for its avalanche: subject
 * ids that differ in one character land far apart. This hash must never
 * change: changing it would reassign every running experiment's subjects.
 */

const encoder = new TextEncoder();

/** One 4-byte block or the tail, scrambled (MurmurHash3's k1 mixing). */
function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

/** Folds one scrambled block into the state. */
function mixBlock(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The final avalanche over the state and the input length in bytes. */
function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3_x86_32 of `bytes` with `seed`, as an unsigned 32-bit integer. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  // The 1 to 3 bytes after the last whole block, little-endian.
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    h ^= scramble(k);
  }
  return finalize(h, bytes.length);
}

/**
 * `murmur3(UTF-8 of text)`, reading an ASCII string's characters directly (in
 * ASCII each character is its one UTF-8 byte), so the usual subject id costs
 * no encoding and no allocation; any other string is encoded first.
 */
export function murmur3Text(text: string, seed = 0): number {
  const length = text.length;
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return murmur3(encoder.encode(text), seed);
  let h = seed >>> 0;
  const blocks = length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= text.charCodeAt(blocks + 2) << 16;
    if (tail >= 2) k ^= text.charCodeAt(blocks + 1) << 8;
    k ^= text.charCodeAt(blocks);
    h ^= scramble(k);
  }
  return finalize(h, length);
}

/** The subject's point in [0, 1) for an experiment's salt. */
export function assignmentPoint(salt: string, subject: string): number {
  return murmur3Text(`${salt}:${subject}`) / 4294967296;
}

/** What assignment needs of a variant. */
export interface WeightedVariant {
  name: string;
  /** Relative weight, > 0; the shares are weight / sum of weights. */
  weight: number;
}

/**
 * The index of the variant `subject` is assigned in an experiment with this
 * salt and these variants (in their stored order).
 * @example
 * assignVariant('salt', 'user-42', [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }]) // 0 or 1, always the same
 */
export function assignVariant(salt: string, subject: string, variants: readonly WeightedVariant[]): number {
  let total = 0;
  for (const v of variants) total += v.weight;
  const target = assignmentPoint(salt, subject) * total;
  let cumulative = 0;
  for (let i = 0; i < variants.length; i++) {
    cumulative += variants[i]!.weight;
    if (target < cumulative) return i;
  }
  // Only reachable through rounding of the last sum: the last variant.
  return variants.length - 1;
}
