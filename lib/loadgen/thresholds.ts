/**
 * Pass/fail criteria in k6's threshold syntax, parsed by a pure function:
 *
 *   http_req_duration: p(95)<150, p(99)<200
 *   http_req_failed: rate<0.01
 *   dropped_iterations: count==0
 *   http_req_duration{endpoint:GET /api/iris/overview}: avg<50
 *
 * Metrics (over the whole run, or one endpoint with `{endpoint:...}`):
 * - `http_req_duration` (ms, successful requests): `p(N)`, `avg`, `min`, `max`, `med`
 * - `http_req_failed` (failed ÷ all requests): `rate`, `count`
 * - `http_reqs`: `count`, `rate` (per second)
 * - `dropped_iterations`: `count`, `rate` (÷ requests scheduled)
 * - `http_req_cache_hit` (hits ÷ cache lookups): `rate`
 * - `db_time` (ms, from `Server-Timing: db`): `avg`
 */

/** The statistic a threshold checks. */
export type Aggregation = { kind: 'p'; percentile: number } | { kind: 'avg' | 'min' | 'max' | 'med' | 'rate' | 'count' };

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** One parsed condition. */
export interface Threshold {
  metric: ThresholdMetric;
  /** Endpoint filter from `{endpoint:...}`, else null (the whole run). */
  endpoint: string | null;
  aggregation: Aggregation;
  operator: Operator;
  value: number;
  /** The condition as written, normalised: `http_req_duration: p(95)<150`. */
  source: string;
}

export const THRESHOLD_METRICS = {
  http_req_duration: ['p', 'avg', 'min', 'max', 'med'],
  http_req_failed: ['rate', 'count'],
  http_reqs: ['count', 'rate'],
  dropped_iterations: ['count', 'rate'],
  http_req_cache_hit: ['rate'],
  db_time: ['avg'],
} as const satisfies Record<string, readonly Aggregation['kind'][]>;

export type ThresholdMetric = keyof typeof THRESHOLD_METRICS;

/** A threshold that cannot be parsed; the message quotes it. */
export class ThresholdSyntaxError extends Error {
  static readonly code = 'E_THRESHOLD_SYNTAX';
  readonly code = ThresholdSyntaxError.code;
  override readonly name = 'ThresholdSyntaxError';
}

const HEAD = /^\s*([a-z_]+)\s*(?:\{\s*endpoint\s*:\s*([^}]+?)\s*\})?\s*:\s*(.+)$/;
const CONDITION = /^\s*(p\(\s*(\d+(?:\.\d+)?)\s*\)|avg|min|max|med|rate|count)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

/**
 * Parses one threshold line (several conditions separated by commas) into
 * one {@link Threshold} per condition.
 * @throws ThresholdSyntaxError quoting the part that is wrong and what is allowed.
 * @example
 * parseThreshold('http_req_duration: p(95)<150, p(99)<200') // two thresholds
 */
export function parseThreshold(line: string): Threshold[] {
  const head = HEAD.exec(line);
  if (!head) throw new ThresholdSyntaxError(`"${line}": expected "metric: condition", e.g. "http_req_duration: p(95)<150"`);
  const metricName = head[1]!;
  if (!(metricName in THRESHOLD_METRICS)) {
    throw new ThresholdSyntaxError(`"${line}": unknown metric "${metricName}"; known: ${Object.keys(THRESHOLD_METRICS).join(', ')}`);
  }
  const metric = metricName as ThresholdMetric;
  const endpoint = head[2] ?? null;
  const allowed: readonly string[] = THRESHOLD_METRICS[metric];
  return head[3]!.split(',').map((part) => {
    const c = CONDITION.exec(part);
    if (!c) throw new ThresholdSyntaxError(`"${line}": cannot read the condition "${part.trim()}" (e.g. p(95)<150, rate<0.01, count==0)`);
    const aggregation: Aggregation =
      c[2] !== undefined ? { kind: 'p', percentile: Number(c[2]) } : { kind: c[1] as Exclude<Aggregation['kind'], 'p'> };
    if (!allowed.includes(aggregation.kind)) {
      throw new ThresholdSyntaxError(`"${line}": ${metric} has no ${aggregation.kind === 'p' ? 'p(N)' : aggregation.kind}; use ${allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`);
    }
    if (aggregation.kind === 'p' && !(aggregation.percentile >= 0 && aggregation.percentile <= 100)) {
      throw new ThresholdSyntaxError(`"${line}": a percentile must be between 0 and 100`);
    }
    const operator = c[3] as Operator;
    const value = Number(c[4]);
    const agg = aggregation.kind === 'p' ? `p(${aggregation.percentile})` : aggregation.kind;
    const source = `${metric}${endpoint === null ? '' : `{endpoint:${endpoint}}`}: ${agg}${operator}${value}`;
    return { metric, endpoint, aggregation, operator, value, source };
  });
}

/** Parses several threshold lines. */
export function parseThresholds(lines: readonly string[]): Threshold[] {
  return lines.flatMap((line) => parseThreshold(line));
}

/**
 * Where thresholds read their numbers: the value of `metric` aggregated by
 * `aggregation` over the run or one endpoint; null when there is no data
 * (which fails the threshold).
 */
export type MetricSource = (metric: ThresholdMetric, aggregation: Aggregation, endpoint: string | null) => number | null;

export interface ThresholdResult {
  threshold: Threshold;
  actual: number | null;
  pass: boolean;
}

export function compare(actual: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** Checks every threshold against `source`; a threshold without data fails. */
export function evaluateThresholds(thresholds: readonly Threshold[], source: MetricSource): ThresholdResult[] {
  return thresholds.map((threshold) => {
    const actual = source(threshold.metric, threshold.aggregation, threshold.endpoint);
    return { threshold, actual, pass: actual !== null && Number.isFinite(actual) && compare(actual, threshold.operator, threshold.value) };
  });
}
