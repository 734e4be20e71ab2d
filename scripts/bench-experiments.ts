/**
 * `npm run bench:experiments`: what peeking does to a fixed-horizon test,
 * and what the always-valid sequential test (lib/experiments/statistics)
 * costs and buys, by simulation.
 *
 * Four scenarios, each simulated `--experiments` times (default 1,000):
 * - A/A on a success rate of 10% (binary; two-proportion z-test),
 * - A/B on 10% against 12% (a real 2-point difference),
 * - A/A on a latency-like metric, log-normal with mean 1,000 ms and standard
 *   deviation 400 ms (continuous; Welch's t-test),
 * - A/B on the same metric with the treatment 2.5% faster (975 ms).
 * Each experiment adds `--runs-per-look` runs (default 100) to each variant
 * between `--looks` interim looks (default 50, so 5,000 runs per variant at
 * the last look) and, at every look, runs the fixed-horizon test and the
 * mixture SPRT on the cumulative sums, exactly as a results page computed
 * from rollups would. Reported per scenario, each with a 95% Wilson interval
 * on the simulated rate:
 * - fixed-horizon, last look only: the test as designed (one look at the
 *   planned size): its false-positive rate is alpha, its power the reference;
 * - fixed-horizon, any look: reject as soon as one look has p < alpha, what a
 *   dashboard reader does;
 * - sequential, any look: reject as soon as the always-valid p < alpha.
 * A/A rows are false-positive rates, A/B rows power. Seeded (mulberry32) and
 * deterministic: the same flags print the same table. Exits 1 when the
 * sequential false-positive rate of an A/A scenario is above alpha.
 *
 *   npm run bench:experiments
 *   npm run bench:experiments -- --experiments 10000 --seed 7
 *   npm run bench:experiments -- --looks 20 --runs-per-look 500 --mixing-variance 0.0004
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_PLANNED_SAMPLE_SIZE,
  mixingVarianceFor,
  normalQuantile,
  sequentialMeans,
  sequentialProportions,
  twoProportionZTest,
  welchTTest,
  wilsonInterval,
  type BinaryStats,
  type ContinuousStats,
  type FixedHorizonResult,
  type SequentialResult,
} from '../lib/experiments/statistics/index.js';
import { num, seededRandom, table, type Random } from '../lib/loadgen/index.js';

const { values: flags } = parseArgs({
  options: {
    experiments: { type: 'string', default: '1000' },
    looks: { type: 'string', default: '50' },
    'runs-per-look': { type: 'string', default: '100' },
    seed: { type: 'string', default: '20240613' },
    alpha: { type: 'string', default: '0.05' },
    'mixing-variance': { type: 'string' },
  },
});

function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer; got ${value}`);
  return n;
}

const EXPERIMENTS = positiveInteger('experiments', flags.experiments);
const LOOKS = positiveInteger('looks', flags.looks);
const RUNS_PER_LOOK = positiveInteger('runs-per-look', flags['runs-per-look']);
const SEED = positiveInteger('seed', flags.seed);
const ALPHA = Number(flags.alpha);
if (!(ALPHA > 0 && ALPHA < 1)) throw new Error(`--alpha must be strictly between 0 and 1; got ${flags.alpha}`);
const MIXING_VARIANCE = flags['mixing-variance'] === undefined ? mixingVarianceFor(DEFAULT_PLANNED_SAMPLE_SIZE, ALPHA) : Number(flags['mixing-variance']);
if (!(MIXING_VARIANCE > 0)) throw new Error(`--mixing-variance must be > 0; got ${flags['mixing-variance']}`);

/** One variant's metric: draws one run's value into its sums. */
interface Arm<S> {
  empty(): S;
  add(stats: S, random: Random): void;
}

/** A metric: how to draw control and treatment runs, and the two tests on its sums. */
interface Scenario<S> {
  name: string;
  truth: string;
  aa: boolean;
  control: Arm<S>;
  treatment: Arm<S>;
  fixed(control: S, treatment: S): FixedHorizonResult;
  sequential(control: S, treatment: S): SequentialResult;
}

function bernoulli(rate: number): Arm<BinaryStats> {
  return {
    empty: () => ({ n: 0, successes: 0 }),
    add(stats, random) {
      stats.n += 1;
      if (random() < rate) stats.successes += 1;
    },
  };
}

/** Log-normal with the given mean and standard deviation, by Box–Muller. */
function logNormal(meanMs: number, sdMs: number): Arm<ContinuousStats> {
  const sigma2 = Math.log(1 + (sdMs / meanMs) ** 2);
  const sigma = Math.sqrt(sigma2);
  const mu = Math.log(meanMs) - sigma2 / 2;
  return {
    empty: () => ({ n: 0, sum: 0, sumOfSquares: 0 }),
    add(stats, random) {
      const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const x = Math.exp(mu + sigma * z);
      stats.n += 1;
      stats.sum += x;
      stats.sumOfSquares += x * x;
    },
  };
}

const sequentialOptions = { alpha: ALPHA, mixingVariance: MIXING_VARIANCE };
const binary = (control: number, treatment: number) => ({
  control: bernoulli(control),
  treatment: bernoulli(treatment),
  fixed: (c: BinaryStats, t: BinaryStats) => twoProportionZTest(c, t, { alpha: ALPHA }),
  sequential: (c: BinaryStats, t: BinaryStats) => sequentialProportions(c, t, sequentialOptions),
});
const continuous = (controlMs: number, treatmentMs: number) => ({
  control: logNormal(controlMs, 400),
  treatment: logNormal(treatmentMs, (400 * treatmentMs) / controlMs),
  fixed: (c: ContinuousStats, t: ContinuousStats) => welchTTest(c, t, { alpha: ALPHA }),
  sequential: (c: ContinuousStats, t: ContinuousStats) => sequentialMeans(c, t, sequentialOptions),
});

/** A scenario with its stats type bound in, so scenarios of both kinds fit one list. */
interface Runnable {
  name: string;
  truth: string;
  aa: boolean;
  simulate(random: Random): Outcome;
}

const runnable = <S>(scenario: Scenario<S>): Runnable => ({ ...scenario, simulate: (random) => simulate(scenario, random) });

const SCENARIOS: Runnable[] = [
  runnable({ name: 'A/A success rate 10%', truth: 'none', aa: true, ...binary(0.1, 0.1) }),
  runnable({ name: 'A/B success rate 10% vs 12%', truth: '+2 points', aa: false, ...binary(0.1, 0.12) }),
  runnable({ name: 'A/A latency 1000 ± 400 ms (log-normal)', truth: 'none', aa: true, ...continuous(1000, 1000) }),
  runnable({ name: 'A/B latency 1000 vs 975 ms', truth: '-25 ms', aa: false, ...continuous(1000, 975) }),
];

interface Outcome {
  fixedLast: number;
  fixedAny: number;
  sequentialAny: number;
  /** The look at which each sequential rejection happened (1-based). */
  sequentialLooks: number[];
}

function simulate<S>(scenario: Scenario<S>, random: Random): Outcome {
  const outcome: Outcome = { fixedLast: 0, fixedAny: 0, sequentialAny: 0, sequentialLooks: [] };
  for (let e = 0; e < EXPERIMENTS; e++) {
    const control = scenario.control.empty();
    const treatment = scenario.treatment.empty();
    let fixedHit = false;
    let sequentialLook = 0;
    for (let look = 1; look <= LOOKS; look++) {
      for (let i = 0; i < RUNS_PER_LOOK; i++) {
        scenario.control.add(control, random);
        scenario.treatment.add(treatment, random);
      }
      const fixed = scenario.fixed(control, treatment).pValue < ALPHA;
      fixedHit ||= fixed;
      if (look === LOOKS && fixed) outcome.fixedLast++;
      if (sequentialLook === 0 && scenario.sequential(control, treatment).significant) sequentialLook = look;
    }
    if (fixedHit) outcome.fixedAny++;
    if (sequentialLook > 0) {
      outcome.sequentialAny++;
      outcome.sequentialLooks.push(sequentialLook);
    }
  }
  return outcome;
}

const z = normalQuantile(0.975);
/** A simulated rate with its 95% Wilson interval: `4.9% (3.7–6.4)`. */
function rate(count: number): string {
  const { lower, upper } = wilsonInterval(count, EXPERIMENTS, z);
  return `${num((100 * count) / EXPERIMENTS, 1)}% (${num(100 * lower, 1)}–${num(100 * upper, 1)})`;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const started = performance.now();
console.log(
  `bench:experiments  seed ${SEED}; ${num(EXPERIMENTS)} experiments per scenario; ${LOOKS} looks, ${num(RUNS_PER_LOOK)} runs per variant between looks ` +
    `(${num(LOOKS * RUNS_PER_LOOK)} per variant at the last look); alpha ${ALPHA}; mixing variance φ² = ${MIXING_VARIANCE.toPrecision(4)}` +
    `${flags['mixing-variance'] === undefined ? ` (planned ${num(DEFAULT_PLANNED_SAMPLE_SIZE)} per variant)` : ''}`,
);
console.log('A/A rows: false-positive rate; A/B rows: power. In brackets: 95% Wilson interval of the simulated rate.\n');

const rows: string[][] = [];
const failures: string[] = [];
SCENARIOS.forEach((scenario, index) => {
  // One stream per scenario, so changing one scenario leaves the others' draws alone.
  const outcome = scenario.simulate(seededRandom(SEED + index));
  const stop = median(outcome.sequentialLooks);
  rows.push([
    scenario.name,
    scenario.truth,
    rate(outcome.fixedLast),
    rate(outcome.fixedAny),
    rate(outcome.sequentialAny),
    stop === null ? '-' : `${num(stop, stop % 1 ? 1 : 0)} (${num(stop * RUNS_PER_LOOK)} runs)`,
  ]);
  if (scenario.aa && outcome.sequentialAny / EXPERIMENTS > ALPHA) {
    failures.push(`${scenario.name}: sequential false-positive rate ${rate(outcome.sequentialAny)} is above alpha ${ALPHA}`);
  }
});

console.log(
  table(['scenario', 'true effect', 'fixed-horizon, last look only', `fixed-horizon, any of ${LOOKS} looks`, `sequential, any of ${LOOKS} looks`, 'sequential: median look rejected'], rows),
);
console.log(`\n${num((performance.now() - started) / 1000, 1)} s on node ${process.version}`);
if (failures.length > 0) {
  for (const failure of failures) console.error(`target missed: ${failure}`);
  process.exit(1);
}
console.log(`target met: sequential false-positive rate at or below alpha (${ALPHA}) in every A/A scenario`);
