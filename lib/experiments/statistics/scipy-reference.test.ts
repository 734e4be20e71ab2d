/**
 * The statistics module against scipy.stats, on generated data.
 *
 * Cases come from a seeded generator (the same cases on every run); one
 * /usr/bin/python3 process per run of this file computes scipy's values
 * with scipy-reference.py. Tolerances, all 1e-6:
 * - probabilities (CDFs, survival functions, p-values): relative to the
 *   reference value, so a p-value of 1e-40 must match to 1e-46, not merely
 *   be "below 1e-6"; since they are at most 1, this is also 1e-6 absolute.
 * - quantiles: absolute below 1 in magnitude, relative above.
 * - interval bounds: relative to the larger magnitude of the reference
 *   interval's two bounds, so a bound near 0 is held to the interval's own
 *   scale (1e-8 for a difference of proportions of 0.01), not to 1e-6 absolute.
 * Values below 1e-300 on both sides count as equal (scipy flushes some
 * subnormal results to 0).
 * The largest errors seen are printed at the end (the accuracy figures in
 * docs/experiments.md).
 *
 * Without scipy (`/usr/bin/python3 -c 'import scipy'` fails; IRIS_SCIPY_PYTHON
 * names another interpreter) the file skips,
 * saying so; with CI=true it fails instead, so CI can never skip it
 * (.ci/run installs python3-scipy).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '../../loadgen/index.js';
import { chiSquareCdf, chiSquareSf } from './chi-square.js';
import { twoProportionZTest, welchTTest, type FixedHorizonResult } from './fixed-horizon.js';
import { summarizeMean, summarizeProportion } from './intervals.js';
import { normalCdf, normalQuantile, normalSf } from './normal.js';
import { sequentialMeans, sequentialProportions } from './sequential.js';
import { sampleRatioMismatch } from './srm.js';
import { studentTCdf, studentTQuantile, studentTSf } from './student-t.js';
import type { BinaryStats, ContinuousStats } from './sufficient.js';

/** Debian's python3 (the one python3-scipy installs into); IRIS_SCIPY_PYTHON points elsewhere. */
const PYTHON = process.env.IRIS_SCIPY_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./scipy-reference.py', import.meta.url));
const SEED = 20_240_613;
const TOLERANCE = 1e-6;

const scipyCheck = spawnSync(PYTHON, ['-c', 'import scipy'], { stdio: 'ignore' });
const haveScipy = scipyCheck.status === 0;
const requireScipy = process.env.CI === 'true';
const SKIP_NOTE = `${PYTHON} -c 'import scipy' failed: install Debian's python3-scipy to compare with scipy`;

// ---- case generation ----------------------------------------------------

type Case = { kind: string } & Record<string, unknown>;
type Pair = { lower: number; upper: number };

const uniform = (r: Random, lo: number, hi: number) => lo + (hi - lo) * r();
const logUniform = (r: Random, lo: number, hi: number) => Math.exp(uniform(r, Math.log(lo), Math.log(hi)));
const integer = (r: Random, lo: number, hi: number) => Math.floor(uniform(r, lo, hi + 1));

/** A normal draw (Box–Muller). */
function gaussian(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** Sums of a continuous metric with the given mean and standard deviation, as a rollup would hold them. */
function continuous(n: number, m: number, sd: number): ContinuousStats {
  return { n, sum: n * m, sumOfSquares: (n - 1) * sd * sd + n * m * m };
}

/** A pair of continuous groups whose t statistic is spread from 0 to about ±40. */
function continuousPair(r: Random, maxZ: number): { control: ContinuousStats; treatment: ContinuousStats } {
  const nC = integer(r, 2, 10) * (r() < 0.7 ? Math.round(logUniform(r, 1, 100_000)) : 1);
  const nT = r() < 0.3 ? nC : integer(r, 2, 10) * (r() < 0.7 ? Math.round(logUniform(r, 1, 100_000)) : 1);
  const meanC = logUniform(r, 0.01, 5_000);
  const sdC = meanC * logUniform(r, 0.02, 3);
  const sdT = sdC * logUniform(r, 0.3, 3);
  const se = Math.sqrt((sdC * sdC) / nC + (sdT * sdT) / nT);
  const meanT = meanC + gaussian(r) * se * uniform(r, 0, maxZ / 3);
  return { control: continuous(nC, meanC, sdC), treatment: continuous(nT, meanT, sdT) };
}

function binary(r: Random, n: number, rate: number): BinaryStats {
  return { n, successes: Math.min(n, Math.max(0, Math.round(n * rate))) };
}

/** A pair of binary groups with rates in (0, 1) apart by up to about maxZ standard errors. */
function binaryPair(r: Random, maxZ: number): { control: BinaryStats; treatment: BinaryStats } {
  for (;;) {
    const nC = Math.round(logUniform(r, 20, 1_000_000));
    const nT = r() < 0.3 ? nC : Math.round(logUniform(r, 20, 1_000_000));
    const p = r() < 0.2 ? logUniform(r, 0.001, 0.05) : uniform(r, 0.02, 0.98);
    const se = Math.sqrt((p * (1 - p)) / nC + (p * (1 - p)) / nT);
    const control = binary(r, nC, p);
    const treatment = binary(r, nT, p + gaussian(r) * se * uniform(r, 0, maxZ / 3));
    const rates = [control.successes / nC, treatment.successes / nT];
    if (rates.every((x) => x > 0 && x < 1)) return { control, treatment };
  }
}

function generateCases(): Case[] {
  const r = seededRandom(SEED);
  const cases: Case[] = [];
  for (const x of [0, 1e-12, -1e-12, 0.5, -1, 1.959963984540054, -5, 8, -10, -20, -30, -37.5]) cases.push({ kind: 'norm', x });
  for (let i = 0; i < 300; i++) cases.push({ kind: 'norm', x: uniform(r, -37.5, 8.5) });
  for (let i = 0; i < 300; i++) {
    const p = Math.pow(10, -uniform(r, 0.31, i < 30 ? 300 : 16));
    const q = r() < 0.5 || p < 1e-15 ? p : 1 - p;
    cases.push({ kind: 'normQuantile', p: q, mine: normalQuantile(q) });
  }
  for (let i = 0; i < 400; i++) {
    const df = i < 60 ? (i % 30) + 1 : logUniform(r, 0.5, 1e7);
    cases.push({ kind: 't', x: uniform(r, -1, 1) * (r() < 0.5 ? 4 : 40), df });
  }
  for (let i = 0; i < 300; i++) {
    const df = i < 30 ? i + 1 : logUniform(r, 1, 1e6);
    const p = logUniform(r, 1e-12, 0.5);
    const q = r() < 0.5 ? p : 1 - p;
    cases.push({ kind: 'tQuantile', p: q, df, mine: studentTQuantile(q, df) });
  }
  for (let i = 0; i < 300; i++) {
    const df = i < 100 ? (i % 50) + 1 : uniform(r, 0.5, 60);
    cases.push({ kind: 'chi2', x: df * logUniform(r, 0.01, 20), df });
  }
  for (let i = 0; i < 300; i++) cases.push({ kind: 'welch', ...continuousPair(r, 40), alpha: r() < 0.8 ? 0.05 : logUniform(r, 1e-4, 0.3) });
  for (let i = 0; i < 300; i++) cases.push({ kind: 'ztest', ...binaryPair(r, 30), alpha: r() < 0.8 ? 0.05 : logUniform(r, 1e-4, 0.3) });
  for (let i = 0; i < 200; i++) {
    const n = Math.round(logUniform(r, 1, 1_000_000));
    const successes = i < 10 ? [0, n][i % 2]! : binary(r, n, r()).successes;
    cases.push({ kind: 'wilson', n, successes, alpha: r() < 0.8 ? 0.05 : logUniform(r, 1e-4, 0.3) });
  }
  for (let i = 0; i < 200; i++) {
    const n = integer(r, 2, 10) * Math.round(logUniform(r, 1, 100_000));
    const m = logUniform(r, 0.001, 5_000) * (r() < 0.2 ? -1 : 1);
    cases.push({ kind: 'meanInterval', stats: continuous(n, m, Math.abs(m) * logUniform(r, 0.02, 3)), alpha: r() < 0.8 ? 0.05 : logUniform(r, 1e-4, 0.3) });
  }
  for (let i = 0; i < 400; i++) {
    const pair = i % 2 === 0 ? binaryPair(r, 12) : continuousPair(r, 12);
    cases.push({
      kind: 'msprt',
      metric: i % 2 === 0 ? 'binary' : 'continuous',
      ...pair,
      mixingVariance: r() < 0.5 ? 0.001588 : logUniform(r, 1e-6, 1),
      alpha: r() < 0.8 ? 0.05 : logUniform(r, 1e-3, 0.3),
    });
  }
  for (let srm = 0; srm < 200; ) {
    const k = integer(r, 2, 6);
    const weights = Array.from({ length: k }, () => (r() < 0.5 ? 1 : uniform(r, 0.1, 5)));
    const total = Math.round(logUniform(r, 20, 1_000_000));
    const sumW = weights.reduce((a, b) => a + b, 0);
    const distortion = r() < 0.5 ? 1 : logUniform(r, 1, 30);
    const observed = weights.map((w) => {
      const e = (total * w) / sumW;
      return Math.max(0, Math.round(e + gaussian(r) * Math.sqrt(e) * distortion));
    });
    // No observations at all is a 0/0 for scipy (NaN); srm.test.ts covers what Iris returns.
    if (observed.every((o) => o === 0)) continue;
    cases.push({ kind: 'srm', observed, weights });
    srm++;
  }
  return cases;
}

// ---- running scipy ------------------------------------------------------

type Json = number | string | null | Json[] | { [key: string]: Json };

function fromJson(value: Json): number {
  if (typeof value === 'number') return value;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}

function runScipy(cases: Case[]): { version: string; results: Json[] } {
  const run = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify({ cases }), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`scipy-reference.py exited with ${run.status}: ${run.stderr}`);
  const parsed = JSON.parse(run.stdout) as { scipy: string; results: Json[] };
  return { version: parsed.scipy, results: parsed.results };
}

// ---- comparisons --------------------------------------------------------

/** The largest error seen per quantity, as |actual - expected| / scale. */
const worst = new Map<string, { error: number; detail: string }>();

/** Below this both sides count as 0: scipy flushes some subnormal results to 0, which no relative comparison survives. */
const UNDERFLOW = 1e-300;
/** Relative error of a probability (scale: the value itself). */
const probabilityError = (actual: number, expected: number) =>
  actual === expected || (Math.abs(actual) < UNDERFLOW && Math.abs(expected) < UNDERFLOW) ? 0 : Math.abs(actual - expected) / Math.abs(expected);
/** Quantiles: absolute below 1, relative above. */
const quantileError = (actual: number, expected: number) => (actual === expected ? 0 : Math.abs(actual - expected) / Math.max(1, Math.abs(expected)));
/** Interval bounds: relative to the interval's larger bound magnitude. */
const intervalError = (actual: Pair, expected: [number, number]) => {
  const scale = Math.max(Math.abs(expected[0]), Math.abs(expected[1]));
  return Math.max(Math.abs(actual.lower - expected[0]), Math.abs(actual.upper - expected[1])) / scale;
};

function record(quantity: string, error: number, detail: unknown): number {
  const e = Number.isNaN(error) ? Number.POSITIVE_INFINITY : error;
  const seen = worst.get(quantity);
  if (!seen || e > seen.error) worst.set(quantity, { error: e, detail: JSON.stringify(detail) });
  return e;
}

/** Cases whose error exceeds the tolerance, for a readable failure message. */
function failures(quantity: string, errors: { error: number; detail: unknown }[]): string[] {
  return errors.filter((e) => !(e.error <= TOLERANCE)).map((e) => `${quantity}: error ${e.error.toExponential(2)} at ${JSON.stringify(e.detail)}`);
}

describe.runIf(haveScipy)('statistics against scipy.stats', () => {
  const cases = generateCases();
  const byKind = new Map<string, { c: Case; ref: Json }[]>();
  let version = '';

  beforeAll(() => {
    const { version: v, results } = runScipy(cases);
    version = v;
    cases.forEach((c, i) => {
      const list = byKind.get(c.kind) ?? [];
      list.push({ c, ref: results[i]! });
      byKind.set(c.kind, list);
    });
  });

  afterAll(() => {
    if (worst.size === 0) return;
    const lines = [...worst].map(([q, w]) => `  ${q.padEnd(34)} ${w.error.toExponential(2)}${process.env.IRIS_SCIPY_DETAIL ? ` at ${w.detail}` : ''}`);
    console.info(`largest errors against scipy ${version} (${cases.length} cases, seed ${SEED}):\n${lines.join('\n')}`);
  });

  const cases_ = (kind: string) => {
    const list = byKind.get(kind) ?? [];
    expect(list.length, `cases of kind ${kind}`).toBeGreaterThanOrEqual(200);
    return list;
  };

  it('matches the normal CDF and survival function, relative to the value, down to 1e-300', () => {
    const errors = cases_('norm').flatMap(({ c, ref }) => {
      const x = c.x as number;
      const r = ref as { cdf: Json; sf: Json };
      return [
        { error: record('normal cdf', probabilityError(normalCdf(x), fromJson(r.cdf)), x), detail: { x, f: 'cdf' } },
        { error: record('normal sf', probabilityError(normalSf(x), fromJson(r.sf)), x), detail: { x, f: 'sf' } },
      ];
    });
    expect(failures('normal', errors)).toEqual([]);
  });

  /** Quantile results: scipy's quantile, and scipy's tail probability at ours (see scipy-reference.py). */
  type QuantileRef = { ppf: Json; tailAtMine: Json; tail: Json };

  it('matches the normal quantile from p = 1e-300 to 1 - 1e-16', () => {
    const errors = cases_('normQuantile').map(({ c, ref }) => {
      const p = c.p as number;
      return { error: record('normal quantile', quantileError(normalQuantile(p), fromJson((ref as QuantileRef).ppf)), p), detail: p };
    });
    expect(failures('normal quantile', errors)).toEqual([]);
  });

  /** CDF and survival function of a distribution with (x, df) against scipy's. */
  const cdfAndSf = (kind: string, name: string, cdf: (x: number, df: number) => number, sf: (x: number, df: number) => number) =>
    cases_(kind).flatMap(({ c, ref }) => {
      const { x, df } = c as unknown as { x: number; df: number };
      const r = ref as { cdf: Json; sf: Json };
      return [
        { error: record(`${name} cdf`, probabilityError(cdf(x, df), fromJson(r.cdf)), c), detail: c },
        { error: record(`${name} sf`, probabilityError(sf(x, df), fromJson(r.sf)), c), detail: c },
      ];
    });

  it('matches the Student-t CDF and survival function for integer and fractional degrees of freedom', () => {
    expect(failures('student-t', cdfAndSf('t', 'student-t', studentTCdf, studentTSf))).toEqual([]);
  });

  it('matches the Student-t quantile', () => {
    const errors = cases_('tQuantile').map(({ c, ref }) => {
      const { p, df } = c as unknown as { p: number; df: number };
      return { error: record('student-t quantile', quantileError(studentTQuantile(p, df), fromJson((ref as QuantileRef).ppf)), c), detail: c };
    });
    expect(failures('student-t quantile', errors)).toEqual([]);
  });

  // scipy's own quantiles are the less accurate side: t.ppf is off by up to
  // about 1e-9 relative (its t.sf at its own t.ppf misses p by 1e-8), so the
  // sharper check is scipy's CDF at our quantile, which must give p back.
  it("gives p back through scipy's own CDF at our normal and Student-t quantiles, to 1e-12", () => {
    const roundTrips = [...cases_('normQuantile'), ...cases_('tQuantile')].map(({ c, ref }) => {
      const r = ref as QuantileRef;
      const name = c.kind === 'tQuantile' ? 'student-t quantile round trip' : 'normal quantile round trip';
      return { error: record(name, probabilityError(fromJson(r.tailAtMine), fromJson(r.tail)), c), detail: c };
    });
    expect(roundTrips.filter((e) => !(e.error <= 1e-12)).map((e) => JSON.stringify(e))).toEqual([]);
  });

  it('matches the chi-square CDF and survival function', () => {
    expect(failures('chi-square', cdfAndSf('chi2', 'chi-square', chiSquareCdf, chiSquareSf))).toEqual([]);
  });

  type TestRef = { statistic: Json; pValue: Json; df?: Json; interval: Json[]; relativeInterval: Json[] };

  /** A fixed-horizon test's statistic, df, p-value and both intervals against the reference's. */
  const testErrors = (name: string, mine: FixedHorizonResult, r: TestRef, c: Case) => {
    const errors = [
      { error: record(`${name} statistic`, quantileError(mine.statistic!, fromJson(r.statistic)), c), detail: c },
      { error: record(`${name} p-value`, probabilityError(mine.pValue, fromJson(r.pValue)), c), detail: c },
      { error: record(`${name} interval`, intervalError(mine.interval!, r.interval.map(fromJson) as [number, number]), c), detail: c },
      { error: record(`${name} relative interval`, intervalError(mine.relativeInterval!, r.relativeInterval.map(fromJson) as [number, number]), c), detail: c },
    ];
    if (r.df !== undefined) errors.push({ error: record(`${name} df`, probabilityError(mine.degreesOfFreedom!, fromJson(r.df)), c), detail: c });
    return errors;
  };

  it("matches scipy's Welch test (ttest_ind_from_stats, equal_var=False): t, df, p-value and both intervals", () => {
    const errors = cases_('welch').flatMap(({ c, ref }) => {
      const { control, treatment, alpha } = c as unknown as { control: ContinuousStats; treatment: ContinuousStats; alpha: number };
      return testErrors('welch', welchTTest(control, treatment, { alpha }), ref as TestRef, c);
    });
    expect(failures('welch', errors)).toEqual([]);
  });

  it('matches the two-proportion z-test computed with scipy.stats.norm: z, p-value and both intervals', () => {
    const errors = cases_('ztest').flatMap(({ c, ref }) => {
      const { control, treatment, alpha } = c as unknown as { control: BinaryStats; treatment: BinaryStats; alpha: number };
      return testErrors('z-test', twoProportionZTest(control, treatment, { alpha }), ref as TestRef, c);
    });
    expect(failures('z-test', errors)).toEqual([]);
  });

  it('matches Wilson intervals and Student-t intervals for a mean (scipy.stats.t.interval)', () => {
    const wilson = cases_('wilson').map(({ c, ref }) => {
      const { n, successes, alpha } = c as unknown as { n: number; successes: number; alpha: number };
      const mine = summarizeProportion({ n, successes }, { alpha }).interval!;
      return { error: record('wilson interval', intervalError(mine, (ref as Json[]).map(fromJson) as [number, number]), c), detail: c };
    });
    const means = cases_('meanInterval').map(({ c, ref }) => {
      const { stats, alpha } = c as unknown as { stats: ContinuousStats; alpha: number };
      const mine = summarizeMean(stats, { alpha }).interval!;
      return { error: record('mean interval', intervalError(mine, (ref as Json[]).map(fromJson) as [number, number]), c), detail: c };
    });
    expect([...failures('wilson', wilson), ...failures('mean interval', means)]).toEqual([]);
  });

  it('matches the mixture SPRT written out in its textbook (non-logarithmic) form', () => {
    const errors = cases_('msprt').flatMap(({ c, ref }) => {
      const { metric, control, treatment, mixingVariance, alpha } = c as unknown as {
        metric: string;
        control: never;
        treatment: never;
        mixingVariance: number;
        alpha: number;
      };
      const mine = metric === 'binary' ? sequentialProportions(control, treatment, { alpha, mixingVariance }) : sequentialMeans(control, treatment, { alpha, mixingVariance });
      const r = ref as { pValue: Json; interval: Json[] };
      return [
        { error: record('msprt p-value', probabilityError(mine.pValue, fromJson(r.pValue)), c), detail: c },
        { error: record('msprt confidence sequence', intervalError(mine.interval!, r.interval.map(fromJson) as [number, number]), c), detail: c },
      ];
    });
    expect(failures('msprt', errors)).toEqual([]);
  });

  it("matches scipy.stats.chisquare for sample-ratio mismatch, statistic and p-value", () => {
    const errors = cases_('srm').flatMap(({ c, ref }) => {
      const { observed, weights } = c as unknown as { observed: number[]; weights: number[] };
      const r = ref as { chiSquare: Json; pValue: Json };
      const mine = sampleRatioMismatch(observed, weights);
      return [
        { error: record('srm chi-square', probabilityError(mine.chiSquare, fromJson(r.chiSquare)), c), detail: c },
        { error: record('srm p-value', probabilityError(mine.pValue, fromJson(r.pValue)), c), detail: c },
      ];
    });
    expect(failures('srm', errors)).toEqual([]);
  });

  it('spans the range that matters: p-values from near 1 down below 1e-30, samples from 2 to a million', () => {
    const pValues = [...(byKind.get('welch') ?? []), ...(byKind.get('ztest') ?? [])].map(({ ref }) => fromJson((ref as { pValue: Json }).pValue));
    expect(Math.max(...pValues)).toBeGreaterThan(0.9);
    expect(Math.min(...pValues)).toBeLessThan(1e-30);
    expect(pValues.filter((p) => p > 0.001 && p < 0.2).length).toBeGreaterThan(50);
    const sizes = (byKind.get('welch') ?? []).flatMap(({ c }) => [(c.control as ContinuousStats).n, (c.treatment as ContinuousStats).n]);
    expect(Math.min(...sizes)).toBeLessThanOrEqual(3);
    expect(Math.max(...sizes)).toBeGreaterThan(100_000);
  });

  // The comparison must be able to fail: formulas with a classic mistake in them do not pass.
  describe('rejects deliberately wrong formulas', () => {
    it("fails a Welch p-value computed with Student's pooled degrees of freedom n_C + n_T - 2", () => {
      const mismatches = cases_('welch').filter(({ c, ref }) => {
        const { control, treatment } = c as unknown as { control: ContinuousStats; treatment: ContinuousStats };
        const right = welchTTest(control, treatment);
        const wrong = 2 * studentTSf(Math.abs(right.statistic!), control.n + treatment.n - 2);
        return probabilityError(wrong, fromJson((ref as { pValue: Json }).pValue)) > TOLERANCE;
      });
      expect(mismatches.length).toBeGreaterThan(200);
    });

    it('fails a z-test p-value computed with the unpooled standard error', () => {
      const mismatches = cases_('ztest').filter(({ c, ref }) => {
        const { control, treatment } = c as unknown as { control: BinaryStats; treatment: BinaryStats };
        const right = twoProportionZTest(control, treatment);
        const wrong = 2 * normalSf(Math.abs(right.difference! / right.standardError!));
        return probabilityError(wrong, fromJson((ref as { pValue: Json }).pValue)) > TOLERANCE;
      });
      expect(mismatches.length).toBeGreaterThan(200);
    });

    it('fails p-values taken as 1 - CDF, which lose the small ones to rounding', () => {
      const mismatches = cases_('welch').filter(({ c, ref }) => {
        const { control, treatment } = c as unknown as { control: ContinuousStats; treatment: ContinuousStats };
        const right = welchTTest(control, treatment);
        const wrong = 2 * (1 - studentTCdf(Math.abs(right.statistic!), right.degreesOfFreedom!));
        return probabilityError(wrong, fromJson((ref as { pValue: Json }).pValue)) > TOLERANCE;
      });
      expect(mismatches.length).toBeGreaterThan(20);
    });

    it('fails a Welch interval built on the normal quantile instead of the t quantile', () => {
      const mismatches = cases_('welch').filter(({ c, ref }) => {
        const { control, treatment, alpha } = c as unknown as { control: ContinuousStats; treatment: ContinuousStats; alpha: number };
        const right = welchTTest(control, treatment, { alpha });
        const half = normalQuantile(1 - alpha / 2) * right.standardError!;
        const wrong = { lower: right.difference! - half, upper: right.difference! + half };
        return intervalError(wrong, (ref as { interval: Json[] }).interval.map(fromJson) as [number, number]) > TOLERANCE;
      });
      expect(mismatches.length).toBeGreaterThan(200);
    });

    it('fails a confidence sequence that spends alpha/2 per side as a one-sided boundary would', () => {
      const mismatches = cases_('msprt').filter(({ c, ref }) => {
        const { metric, control, treatment, mixingVariance, alpha } = c as unknown as { metric: string; control: never; treatment: never; mixingVariance: number; alpha: number };
        const options = { alpha: alpha / 2, mixingVariance };
        const wrong = metric === 'binary' ? sequentialProportions(control, treatment, options) : sequentialMeans(control, treatment, options);
        return intervalError(wrong.interval!, (ref as { interval: Json[] }).interval.map(fromJson) as [number, number]) > TOLERANCE;
      });
      expect(mismatches.length).toBeGreaterThan(350);
    });
  });
});

describe.runIf(!haveScipy)('statistics against scipy.stats, without scipy', () => {
  it('is skipped on a machine without scipy, and fails under CI=true', (ctx) => {
    if (!requireScipy) ctx.skip(SKIP_NOTE);
    expect.fail(`CI=true and ${SKIP_NOTE}; .ci/run installs it with apt-get`);
  });
});
