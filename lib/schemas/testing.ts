/**
 * Test vectors for the schemas, shared by their unit tests and the route
 * suites. Not exported from index.ts: import `lib/schemas/testing.js` from tests only.
 */

/**
 * Timestamps Iris refuses although a plain ISO check or `Date.parse` passes most
 * of them: ones Postgres rejects or would read as another instant, and ones
 * outside the accepted form (seconds and an offset required) or range (1970 to 9999).
 */
export const REFUSED_TIMESTAMPS = [
  '2026-02-30T00:00:00Z',
  '2025-02-29T12:00:00Z',
  '2026-04-31T00:00:00+02:00',
  '0000-01-01T00:00:00Z',
  '0001-01-01T00:00:00Z',
  '1969-12-31T23:59:59Z',
  '9999-12-31T23:59:59-23:59',
  '9999-12-31T23:59:59-00:01',
  '2026-01-01T00:00:00+14:01',
  '2026-01-01T00:00:00-15:00',
  '2026-01-01T00:00:00+05:60',
  '2026-01-01T24:00:00Z',
  '2026-01-01T23:60:00Z',
  '2026-01-01T23:59:60Z',
  '2026-13-01T00:00:00Z',
  '2026-00-10T00:00:00Z',
  '2026-01-00T00:00:00Z',
  '+010000-01-01T00:00:00Z',
  '2026-01-01 00:00:00Z',
  '2026-01-01T00:00Z',
  '2026-01-01T00:00:00',
];
