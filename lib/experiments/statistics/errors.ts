/**
 * The one error the statistics functions throw: an input that is not a
 * valid sufficient statistic or option. The message and `argument` name the
 * argument exactly as the caller wrote it (`control.successes`,
 * `options.alpha`), so a route can turn it into a 4xx or a 500 with a useful
 * message without parsing text.
 */
export class StatisticsInputError extends RangeError {
  override readonly name = 'StatisticsInputError';
  /** Stable, machine-readable code. */
  readonly code = 'invalid_statistics_input';
  /** The argument at fault, as a path: `treatment.n`, `weights[2]`, `options.mixingVariance`. */
  readonly argument: string;

  constructor(argument: string, requirement: string, value: unknown) {
    super(`${argument} must be ${requirement}; got ${describe(value)}`);
    this.argument = argument;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

/** Throws unless `value` is a number in the open interval (0, 1). */
export function checkProbability(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new StatisticsInputError(argument, 'a number strictly between 0 and 1', value);
  return value;
}

/** Throws unless `value` is a finite number > 0. */
export function checkPositive(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) throw new StatisticsInputError(argument, 'a finite number > 0', value);
  return value;
}

/** Throws unless `value` is a safe integer >= 0. */
export function checkCount(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new StatisticsInputError(argument, 'an integer >= 0', value);
  return value;
}
