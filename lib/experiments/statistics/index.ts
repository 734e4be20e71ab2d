/**
 * Iris's experiment statistics: pure functions over sufficient statistics
 * (counts, sums, sums of squares), as the rollups keep them. No I/O. See
 * docs/experiments.md for the methods, their formulas and how to read a result.
 */
export { normalCdf, normalPdf, normalQuantile, normalSf } from './normal.js';
export { studentTCdf, studentTPdf, studentTQuantile, studentTSf } from './student-t.js';
export { chiSquareCdf, chiSquareSf } from './chi-square.js';
