import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, timestamp } from './common.js';
import { REFUSED_TIMESTAMPS } from './testing.js';
import { MAX_TIMESTAMP_MS, MIN_TIMESTAMP_MS, pgTimestampMs } from './timestamp.js';

describe('pgTimestampMs', () => {
  it('reads RFC 3339 times with Z, offsets and up to nine fractional digits', () => {
    expect(pgTimestampMs('2026-11-24T07:00:00Z')).toBe(Date.UTC(2026, 10, 24, 7));
    expect(pgTimestampMs('2026-11-24T07:00:00.123456+00:00')).toBe(Date.UTC(2026, 10, 24, 7, 0, 0, 123));
    expect(pgTimestampMs('2026-11-24T09:30:00.5+02:30')).toBe(Date.UTC(2026, 10, 24, 7, 0, 0, 500));
    expect(pgTimestampMs('2026-11-23T17:00:00.123456789-14:00')).toBe(Date.UTC(2026, 10, 24, 7, 0, 0, 123));
    expect(pgTimestampMs('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
  });

  it('accepts the edges of the range, after the offset', () => {
    expect(pgTimestampMs('1970-01-01T00:00:00Z')).toBe(MIN_TIMESTAMP_MS);
    expect(pgTimestampMs('1969-12-31T23:00:00-01:00')).toBe(MIN_TIMESTAMP_MS);
    expect(pgTimestampMs('9999-12-31T23:59:59.999Z')).toBe(MAX_TIMESTAMP_MS);
    expect(pgTimestampMs('9999-12-31T23:59:59+14:00')).toBe(Date.UTC(9999, 11, 31, 9, 59, 59));
  });

  it('refuses what Postgres would reject: impossible dates, year 0, offsets past ±14:00, years past 9999 after the offset', () => {
    for (const value of REFUSED_TIMESTAMPS) expect(pgTimestampMs(value), value).toBeNull();
  });
});

describe('the timestamp schema and cursors', () => {
  it('accept exactly what pgTimestampMs accepts', () => {
    for (const value of REFUSED_TIMESTAMPS) {
      expect(timestamp.safeParse(value).success, value).toBe(false);
      expect(decodeCursor(encodeCursor({ createdAt: value, id: '0b0f4a4e-2c2e-4b8e-9d7e-5a1f9d0c3b21' })), value).toBeNull();
    }
    expect(timestamp.safeParse('2026-11-24T07:00:00Z').success).toBe(true);
  });

  it('says what a valid timestamp looks like', () => {
    const result = timestamp.safeParse('0000-01-01T00:00:00Z');
    expect(result.error?.issues[0]?.message).toMatch(/calendar-valid.*1970 and 9999.*±14:00/);
  });
});
