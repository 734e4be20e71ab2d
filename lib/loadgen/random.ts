/**
 * Seeded pseudo-random draws, so a traffic mix is reproducible run to run.
 */

/** A uniform draw in [0, 1). */
export type Random = () => number;

/** mulberry32 (Tommy Ettinger): a small, fast 32-bit generator, plenty for picking requests. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [min, max], both included. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One of `items`, uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/**
 * A picker that returns `items[i]` with probability `weights[i] / sum(weights)`.
 * @throws RangeError when no weight is positive, or a weight is negative or not finite.
 */
export function weightedPicker<T>(items: readonly T[], weights: readonly number[]): (random: Random) => T {
  if (items.length !== weights.length) throw new RangeError('weightedPicker: items and weights differ in length');
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`weightedPicker: weights must be finite and >= 0, got ${w}`);
    sum += w;
    cumulative.push(sum);
  }
  if (sum <= 0) throw new RangeError('weightedPicker: at least one weight must be positive');
  const lastPositive = weights.findLastIndex((w) => w > 0);
  return (random) => {
    const x = random() * sum;
    for (let i = 0; i < lastPositive; i++) if (x < cumulative[i]!) return items[i]!;
    return items[lastPositive]!;
  };
}
