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

/** MurmurHash3_x86_32 of `bytes` with `seed`, as an unsigned 32-bit integer. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The 1 to 3 bytes after the last whole block, little-endian.
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The subject's point in [0, 1) for an experiment's salt. */
export function assignmentPoint(salt: string, subject: string): number {
  return murmur3(encoder.encode(`${salt}:${subject}`)) / 4294967296;
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
