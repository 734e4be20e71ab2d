/**
 * Timestamps as PostgreSQL will read them (issue 11). zod's ISO check, and
 * `Date.parse` even more so, accept strings that `timestamptz` rejects or that
 * Iris would send in a form Postgres rejects: year 0000 (there is no year 0),
 * `2026-02-30` (`Date.parse` rolls it over to March 2), an offset of -23:59
 * that moves 9999-12-31 into year 10000 (`toISOString` then writes
 * `+010000-…`). A value Postgres refuses is the client's error, so it must be
 * refused here, as a 422, before it can reach the database.
 *
 * The accepted form is RFC 3339's `date-time` with seconds: a real calendar
 * date and time, an offset within ±14:00 (the widest in use, UTC+14), and an
 * instant, after the offset, between 1970-01-01 and 9999-12-31 UTC.
 */

/** The earliest instant accepted: 1970-01-01T00:00:00Z. */
export const MIN_TIMESTAMP_MS = Date.UTC(1970, 0, 1);
/** The latest instant accepted: 9999-12-31T23:59:59.999Z. */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The widest UTC offset accepted, in minutes (UTC+14, Line Islands). */
export const MAX_OFFSET_MINUTES = 14 * 60;

/** What a client sees when a timestamp is refused. */
export const TIMESTAMP_RULE = 'must be a calendar-valid time such as 2026-11-24T07:00:00Z, between 1970 and 9999 UTC, with an offset within ±14:00';

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one (the year is >= 1969 here, so Date.UTC reads it as is).
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * The instant of `value` in epoch ms, or null when Postgres would reject it or
 * it falls outside the accepted range. Pure; no `Date.parse`.
 * @example
 * pgTimestampMs('2026-11-24T07:00:00.123456+00:00') // 1795503600123
 * pgTimestampMs('2026-02-30T00:00:00Z')             // null
 */
export function pgTimestampMs(value: string): number | null {
  const m = ISO.exec(value);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // The offset may move the instant by at most 14 h, so a year before 1969 can never land inside the range.
  if (year < 1969 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const offsetHours = Number(m[9]);
    const offsetMins = Number(m[10]);
    if (offsetMins > 59) return null;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
    if (Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) return null;
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS ? null : ms;
}
