import { MetricsError } from './errors.js';

/**
 * A mergeable quantile sketch after DDSketch (Masson, Rim, Lee, VLDB 2019,
 * https://arxiv.org/abs/1908.10693).
 *
 * Guarantee: for any quantile q, `quantile(q)` is within `relativeAccuracy`
 * (1% by default) of the true value x at rank ⌊q·(n−1)⌋, i.e.
 * |estimate − x| ≤ relativeAccuracy·|x|, as long as x's bucket was not
 * collapsed. Values are counted in logarithmic buckets (γ^(i−1), γ^i] with
 * γ = (1+α)/(1−α); nothing else is stored, so memory is bounded by
 * `maxBuckets` per sign whatever the number of observations. When the values
 * span more than `maxBuckets` buckets, the lowest buckets are collapsed into
 * one: low quantiles lose accuracy, high ones (p95, p99: what latency is
 * about) keep it. With the defaults that takes a range wider than
 * γ^2048 ≈ 6·10^17 (e.g. 1 ns to 19 years), so in practice it never happens.
 *
 * Two sketches with the same `relativeAccuracy` merge exactly: the merged
 * sketch equals the sketch of the union of their values.
 */

/** Options of a {@link Sketch}. */
export interface SketchOptions {
  /**
   * Relative accuracy α of every quantile, in (0, 1): estimates are within
   * α × the true value.
   * @default 0.01
   */
  relativeAccuracy?: number;
  /**
   * Most buckets kept per sign (positive and negative values each); the lowest
   * buckets are collapsed beyond it. Memory is at most 8 bytes × maxBuckets per
   * sign.
   * @default 2048
   */
  maxBuckets?: number;
}

/** Dense counts of one sign: `counts[i]` is the count of bucket `offset + i`. */
export interface SketchStoreState {
  offset: number;
  counts: number[];
}

/** JSON-serialisable state of a sketch (the options travel separately). */
export interface SketchState {
  count: number;
  /** Smallest value seen (0 when empty). */
  min: number;
  /** Largest value seen (0 when empty). */
  max: number;
  /** How many values were exactly zero. */
  zero: number;
  positive?: SketchStoreState;
  negative?: SketchStoreState;
}

export const DEFAULT_RELATIVE_ACCURACY = 0.01;
export const DEFAULT_MAX_BUCKETS = 2048;

/** Fills in the defaults and checks the ranges. @throws MetricsError `invalid_option` */
export function resolveSketchOptions(options: SketchOptions, metric?: string): Required<SketchOptions> {
  const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
    throw new MetricsError('invalid_option', metric, `sketch relativeAccuracy must be in (0, 1), got ${relativeAccuracy}`);
  }
  if (!Number.isInteger(maxBuckets) || maxBuckets < 2) {
    throw new MetricsError('invalid_option', metric, `sketch maxBuckets must be an integer >= 2, got ${maxBuckets}`);
  }
  return { relativeAccuracy, maxBuckets };
}

const GROWTH_STEP = 64;
const EMPTY = new Float64Array(0);

/**
 * Counts per bucket index over a window [offset, offset + counts.length) that
 * grows in steps up to `maxBuckets` slots and never beyond.
 */
class CollapsingLowestStore {
  counts: Float64Array = EMPTY;
  offset = 0;
  /** Lowest and highest non-empty index; min > max when empty. */
  minIndex = Infinity;
  maxIndex = -Infinity;

  constructor(readonly maxBuckets: number) {}

  add(index: number, n: number): void {
    // Steady state: the index is inside the known range, one write.
    if (index < this.minIndex || index > this.maxIndex) index = this.extend(index);
    const j = index - this.offset;
    this.counts[j] = this.counts[j]! + n;
  }

  get span(): number {
    return this.maxIndex >= this.minIndex ? this.maxIndex - this.minIndex + 1 : 0;
  }

  get total(): number {
    let n = 0;
    for (let i = this.minIndex; i <= this.maxIndex; i++) n += this.at(i);
    return n;
  }

  at(index: number): number {
    return this.counts[index - this.offset] ?? 0;
  }

  mergeFrom(other: CollapsingLowestStore): void {
    if (other.maxIndex < other.minIndex) return;
    // Widen once for the whole range, then add bucket by bucket.
    this.add(other.maxIndex, 0);
    this.add(other.minIndex, 0);
    for (let i = other.minIndex; i <= other.maxIndex; i++) {
      const c = other.at(i);
      if (c > 0) this.add(i, c);
    }
  }

  toState(): SketchStoreState | undefined {
    if (this.maxIndex < this.minIndex) return undefined;
    const from = this.minIndex - this.offset;
    return { offset: this.minIndex, counts: Array.from(this.counts.subarray(from, from + this.span)) };
  }

  /** Makes room for `index` and returns the index to count it at (the lowest kept one when it collapses). */
  private extend(index: number): number {
    if (this.maxIndex < this.minIndex) {
      this.fit(index, index);
      this.minIndex = this.maxIndex = index;
      return index;
    }
    let lo = Math.min(index, this.minIndex);
    const hi = Math.max(index, this.maxIndex);
    if (hi - lo + 1 > this.maxBuckets) lo = hi - this.maxBuckets + 1;
    this.fit(lo, hi);
    this.minIndex = Math.max(lo, Math.min(index, this.minIndex));
    this.maxIndex = hi;
    return Math.max(index, lo);
  }

  /** Moves or grows the window to hold [lo, hi], folding counts below `lo` into bucket `lo`. */
  private fit(lo: number, hi: number): void {
    let folded = 0;
    for (let i = this.minIndex; i < lo && i <= this.maxIndex; i++) {
      folded += this.at(i);
      this.counts[i - this.offset] = 0;
    }
    if (lo < this.offset || hi >= this.offset + this.counts.length) {
      const span = hi - lo + 1;
      const capacity = Math.min(this.maxBuckets, Math.max(this.counts.length, Math.ceil(span / GROWTH_STEP + 0.5) * GROWTH_STEP));
      const offset = lo - Math.floor((capacity - span) / 2);
      const next = new Float64Array(capacity);
      for (let i = Math.max(lo, this.minIndex); i <= this.maxIndex; i++) next[i - offset] = this.at(i);
      this.counts = next;
      this.offset = offset;
    }
    if (folded > 0) this.counts[lo - this.offset] = this.at(lo) + folded;
  }
}

export class Sketch {
  readonly relativeAccuracy: number;
  readonly maxBuckets: number;
  private readonly gamma: number;
  private readonly multiplier: number;
  private readonly positive: CollapsingLowestStore;
  private readonly negative: CollapsingLowestStore;
  private n = 0;
  private zero = 0;
  private lowest = Infinity;
  private highest = -Infinity;

  constructor(options: SketchOptions = {}) {
    const resolved = resolveSketchOptions(options);
    this.relativeAccuracy = resolved.relativeAccuracy;
    this.maxBuckets = resolved.maxBuckets;
    this.gamma = (1 + this.relativeAccuracy) / (1 - this.relativeAccuracy);
    this.multiplier = 1 / Math.log(this.gamma);
    this.positive = new CollapsingLowestStore(this.maxBuckets);
    this.negative = new CollapsingLowestStore(this.maxBuckets);
  }

  /** Rebuilds a sketch from {@link Sketch.toState} output. */
  static fromState(state: SketchState, options: SketchOptions = {}): Sketch {
    const sketch = new Sketch(options);
    sketch.n = state.count;
    sketch.zero = state.zero;
    if (state.count > 0) {
      sketch.lowest = state.min;
      sketch.highest = state.max;
    }
    loadStore(sketch.positive, state.positive);
    loadStore(sketch.negative, state.negative);
    return sketch;
  }

  /** Counts one value; NaN and ±Infinity are ignored. */
  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.n++;
    if (value < this.lowest) this.lowest = value;
    if (value > this.highest) this.highest = value;
    if (value > 0) this.positive.add(Math.ceil(Math.log(value) * this.multiplier), 1);
    else if (value < 0) this.negative.add(Math.ceil(Math.log(-value) * this.multiplier), 1);
    else this.zero++;
  }

  get count(): number {
    return this.n;
  }

  /** Smallest value seen, NaN when empty. */
  get min(): number {
    return this.n === 0 ? NaN : this.lowest;
  }

  /** Largest value seen, NaN when empty. */
  get max(): number {
    return this.n === 0 ? NaN : this.highest;
  }

  /** Buckets spanned now, over both signs; never more than 2 × maxBuckets. */
  get bucketCount(): number {
    return this.positive.span + this.negative.span;
  }

  /** Bucket slots allocated, over both signs; never more than 2 × maxBuckets. */
  get capacity(): number {
    return this.positive.counts.length + this.negative.counts.length;
  }

  /**
   * The value at quantile `q` in [0, 1], within `relativeAccuracy` of the true
   * value at rank ⌊q·(n−1)⌋ (exact for q = 0 and q = 1); NaN when empty or
   * `q` is out of range.
   */
  quantile(q: number): number {
    if (this.n === 0 || !(q >= 0 && q <= 1)) return NaN;
    // The extremes are known exactly; buckets only approximate them.
    if (q === 0) return this.lowest;
    if (q === 1) return this.highest;
    const rank = q * (this.n - 1);
    let seen = 0;
    let estimate = this.highest;
    found: {
      const neg = this.negative;
      for (let i = neg.maxIndex; i >= neg.minIndex; i--) {
        seen += neg.at(i);
        if (seen > rank) {
          estimate = -this.valueAt(i);
          break found;
        }
      }
      seen += this.zero;
      if (seen > rank) {
        estimate = 0;
        break found;
      }
      const pos = this.positive;
      for (let i = pos.minIndex; i <= pos.maxIndex; i++) {
        seen += pos.at(i);
        if (seen > rank) {
          estimate = this.valueAt(i);
          break found;
        }
      }
    }
    // The bucket's representative may lie outside what was seen; min and max are exact.
    return Math.min(Math.max(estimate, this.lowest), this.highest);
  }

  /**
   * Adds another sketch's counts to this one.
   * @throws MetricsError `invalid_option` when the relative accuracies differ.
   */
  merge(other: Sketch): this {
    if (other.relativeAccuracy !== this.relativeAccuracy) {
      throw new MetricsError(
        'invalid_option',
        undefined,
        `cannot merge sketches of relative accuracy ${other.relativeAccuracy} into ${this.relativeAccuracy}`,
      );
    }
    if (other.n === 0) return this;
    this.n += other.n;
    this.zero += other.zero;
    this.lowest = Math.min(this.lowest, other.lowest);
    this.highest = Math.max(this.highest, other.highest);
    this.positive.mergeFrom(other.positive);
    this.negative.mergeFrom(other.negative);
    return this;
  }

  /** A compact, JSON-serialisable copy of the counts. */
  toState(): SketchState {
    const state: SketchState = {
      count: this.n,
      min: this.n === 0 ? 0 : this.lowest,
      max: this.n === 0 ? 0 : this.highest,
      zero: this.zero,
    };
    const positive = this.positive.toState();
    const negative = this.negative.toState();
    if (positive !== undefined) state.positive = positive;
    if (negative !== undefined) state.negative = negative;
    return state;
  }

  /** The representative value of bucket i: γ^i·(1−α), within α of anything in (γ^(i−1), γ^i]. */
  private valueAt(index: number): number {
    return Math.pow(this.gamma, index) * (1 - this.relativeAccuracy);
  }
}

function loadStore(store: CollapsingLowestStore, state: SketchStoreState | undefined): void {
  if (state === undefined || state.counts.length === 0) return;
  store.add(state.offset + state.counts.length - 1, 0);
  store.add(state.offset, 0);
  state.counts.forEach((c, i) => {
    if (c > 0) store.add(state.offset + i, c);
  });
}
