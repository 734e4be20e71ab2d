/**
 * Iris's experiment statistics: pure functions over sufficient statistics
 * (counts, sums, sums of squares), as the rollups keep them. No I/O. See
 * docs/experiments.md for the methods, their formulas and how to read a result.
 */
export { StatisticsInputError } from './errors.js';
export { normalCdf, normalPdf, normalQuantile, normalSf } from './normal.js';
export { studentTCdf, studentTPdf, studentTQuantile, studentTSf } from './student-t.js';
export { chiSquareCdf, chiSquareSf } from './chi-square.js';
export {
  binaryAsContinuous,
  boundedSumOfSquares,
  centeredSumOfSquares,
  checkBinaryStats,
  checkContinuousStats,
  mean,
  proportion,
  sampleVariance,
  type BinaryStats,
  type ContinuousStats,
} from './sufficient.js';
export { DEFAULT_ALPHA, summarizeMean, summarizeProportion, wilsonInterval, type Interval, type IntervalOptions, type MeanSummary, type ProportionSummary } from './intervals.js';
export type { UndefinedReason } from './pairs.js';
export { twoProportionZTest, welchTTest, type FixedHorizonOptions, type FixedHorizonResult } from './fixed-horizon.js';
export { DEFAULT_PLANNED_SAMPLE_SIZE, mixingVarianceFor, sequentialMeans, sequentialProportions, type SequentialOptions, type SequentialResult } from './sequential.js';
export { DEFAULT_SRM_THRESHOLD, sampleRatioMismatch, type SampleRatioOptions, type SampleRatioResult } from './srm.js';
export { verdict, type BetterDirection, type Verdict, type VerdictInput, type VerdictResult } from './verdict.js';
