/**
 * A log-linear latency histogram in the manner of HdrHistogram (Gil Tene,
 * http://hdrhistogram.org): values are counted in buckets whose width doubles
 * every octave, each octave split into `2^(precisionBits-1)` equal sub-buckets,
 * so every recorded value is known to within a relative error of
 * `2^-(precisionBits-1)` (0.8% with the default 8 bits) whatever its size, in
 * fixed memory. Count, min, max, mean and standard deviation are exact;
 * percentiles come from the buckets and report the bucket's highest value
 * (never below the true value), clamped to the exact min and max.
 */

/** Options of a {@link LatencyHistogram}. */
export interface LatencyHistogramOptions {
  /**
   * Bits of precision per octave: relative error at most `2^-(precisionBits-1)`.
   * Memory is `8 × (34 - precisionBits) × 2^(precisionBits-1)` bytes (26 KiB at 8).
   * @default 8
   */
  precisionBits?: number;
  /**
   * Smallest distinguishable difference between values, in milliseconds;
   * values are rounded to a multiple of it.
   * @default 0.001 (1 µs)
   */
  resolutionMs?: number;
}

/** Percentiles and moments of a histogram, all in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** The largest value in resolution units (2^32 - 1 µs is about 71 minutes). */
const MAX_UNITS = 0xffffffff;

export class LatencyHistogram {
  readonly precisionBits: number;
  readonly resolutionMs: number;
  private readonly subCount: number;
  private readonly half: number;
  private readonly counts: Float64Array;
  private total = 0;
  private minUnits = Infinity;
  private maxUnits = 0;
  /** Welford's running mean and sum of squared deviations, in ms. */
  private runningMean = 0;
  private m2 = 0;

  constructor(options: LatencyHistogramOptions = {}) {
    const bits = options.precisionBits ?? 8;
    if (!Number.isInteger(bits) || bits < 2 || bits > 16) {
      throw new RangeError(`LatencyHistogram: precisionBits must be an integer from 2 to 16, got ${bits}`);
    }
    const resolutionMs = options.resolutionMs ?? 0.001;
    if (!(resolutionMs > 0) || !Number.isFinite(resolutionMs)) {
      throw new RangeError(`LatencyHistogram: resolutionMs must be a positive number, got ${resolutionMs}`);
    }
    this.precisionBits = bits;
    this.resolutionMs = resolutionMs;
    this.subCount = 1 << bits;
    this.half = this.subCount >>> 1;
    this.counts = new Float64Array(this.indexOf(MAX_UNITS) + 1);
  }

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Records one value in milliseconds; negative values count as 0, huge ones as the largest recordable. */
  record(valueMs: number): void {
    const units = Math.min(MAX_UNITS, Math.max(0, Math.round(valueMs / this.resolutionMs)));
    this.counts[this.indexOf(units)]! += 1;
    this.total += 1;
    if (units < this.minUnits) this.minUnits = units;
    if (units > this.maxUnits) this.maxUnits = units;
    const value = units * this.resolutionMs;
    const delta = value - this.runningMean;
    this.runningMean += delta / this.total;
    this.m2 += delta * (value - this.runningMean);
  }

  /** Adds every value of `other`, which must have the same precision and resolution. */
  merge(other: LatencyHistogram): void {
    if (other.precisionBits !== this.precisionBits || other.resolutionMs !== this.resolutionMs) {
      throw new RangeError('LatencyHistogram.merge: both histograms need the same precisionBits and resolutionMs');
    }
    if (other.total === 0) return;
    for (let i = 0; i < other.counts.length; i++) this.counts[i]! += other.counts[i]!;
    // Chan et al.'s parallel variance update.
    const n = this.total + other.total;
    const delta = other.runningMean - this.runningMean;
    this.m2 += other.m2 + (delta * delta * this.total * other.total) / n;
    this.runningMean += (delta * other.total) / n;
    this.total = n;
    this.minUnits = Math.min(this.minUnits, other.minUnits);
    this.maxUnits = Math.max(this.maxUnits, other.maxUnits);
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minUnits * this.resolutionMs;
  }

  get max(): number {
    return this.maxUnits * this.resolutionMs;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.runningMean;
  }

  /** Population standard deviation. */
  get stddev(): number {
    return this.total === 0 ? 0 : Math.sqrt(this.m2 / this.total);
  }

  /**
   * The value at percentile `p` (0 to 100) by nearest rank: the smallest
   * recorded value (to within the precision) that at least p% of values do not
   * exceed. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const units = Math.min(this.maxUnits, Math.max(this.minUnits, this.highestUnitsOf(i)));
        return units * this.resolutionMs;
      }
    }
    return this.max;
  }

  /** Count, moments and the usual percentiles; null when empty. */
  summary(): LatencySummary | null {
    if (this.total === 0) return null;
    return {
      count: this.total,
      min: this.min,
      mean: this.mean,
      stddev: this.stddev,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.max,
    };
  }

  /** Bucket index of a value in resolution units: exact below 2^bits, then log-linear. */
  private indexOf(units: number): number {
    if (units < this.subCount) return units;
    const octave = 31 - Math.clz32(units);
    const shift = octave - this.precisionBits + 1;
    const sub = units >>> shift;
    return this.subCount + (shift - 1) * this.half + (sub - this.half);
  }

  /** The highest value (in units) that falls into bucket `index`. */
  private highestUnitsOf(index: number): number {
    if (index < this.subCount) return index;
    const offset = index - this.subCount;
    const shift = Math.floor(offset / this.half) + 1;
    const sub = (offset % this.half) + this.half;
    return (sub + 1) * 2 ** shift - 1;
  }
}
