/**
 * Applied against expected migrations, as a pure function: what the database
 * records as applied (`iris_applied_migrations`, migration 0006) against the
 * files this build expects (`EXPECTED_MIGRATIONS`).
 */

/**
 * - `current`: every expected file is applied, and nothing else.
 * - `behind`: expected files are missing: functions the code calls may not exist (a required failure).
 * - `ahead`: the database has files this build does not know (code rolled back past a migration): works, degraded.
 * - `untracked`: no tracker records anything (the files were applied with psql); the function exists, so at least the migration that added it ran.
 * - `unknown`: the database could not be asked.
 */
export type MigrationStatus = 'current' | 'behind' | 'ahead' | 'untracked' | 'unknown';

export interface MigrationReport {
  status: MigrationStatus;
  /** The files this build expects: how many, and the last one (its number is the schema version). */
  expected: { count: number; latest: string | null };
  /** What the database records: how many distinct files, and the last one; null when it could not be asked or records nothing. */
  applied: { count: number; latest: string | null } | null;
  /** Expected files not recorded as applied (capped at 50). */
  missing: string[];
  /** Recorded files this build does not expect (capped at 50). */
  unexpected: string[];
}

const CAP = 50;

const summary = (names: readonly string[]) => ({ count: names.length, latest: names.at(-1) ?? null });

/**
 * Compares the recorded files with the expected ones; `applied` null means the
 * database could not be asked. A recorded name is compared as it is (names
 * are `<digits>_<name>.sql`).
 * @example
 * compareMigrations(['0001_schema.sql'], ['0001_schema.sql', '0002_functions.sql']).status; // 'behind'
 */
export function compareMigrations(applied: readonly string[] | null, expected: readonly string[]): MigrationReport {
  const expectedSummary = summary(expected);
  if (applied === null) return { status: 'unknown', expected: expectedSummary, applied: null, missing: [], unexpected: [] };
  const recorded = [...new Set(applied)].sort();
  if (recorded.length === 0) return { status: 'untracked', expected: expectedSummary, applied: null, missing: [], unexpected: [] };
  const have = new Set(recorded);
  const want = new Set(expected);
  const missing = expected.filter((name) => !have.has(name));
  const unexpected = recorded.filter((name) => !want.has(name));
  const status: MigrationStatus = missing.length > 0 ? 'behind' : unexpected.length > 0 ? 'ahead' : 'current';
  return { status, expected: expectedSummary, applied: summary(recorded), missing: missing.slice(0, CAP), unexpected: unexpected.slice(0, CAP) };
}

/**
 * The report when the function that lists applied migrations is itself
 * missing: the migration that adds it, and every later one, are not applied.
 */
export function missingFrom(first: string, expected: readonly string[]): MigrationReport {
  const at = expected.indexOf(first);
  const missing = at === -1 ? [first] : expected.slice(at);
  return { status: 'behind', expected: summary(expected), applied: null, missing: missing.slice(0, CAP), unexpected: [] };
}
