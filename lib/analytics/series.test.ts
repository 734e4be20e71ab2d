import { describe, expect, it } from 'vitest';
import { toSeries } from './series.js';

// to_jsonb renders timestamptz as +00:00; the API answers with toISOString().
const T: Record<string, string> = { a: '2026-11-20T07:00:00+00:00', b: '2026-11-20T08:00:00+00:00' };
const a = '2026-11-20T07:00:00.000Z';
const b = '2026-11-20T08:00:00.000Z';

describe('toSeries', () => {
  it('groups ordered rows into series and keeps their order', () => {
    const row = (kind: 'group' | 'other' | 'all', grp: string | null, t: string, runs: number, value: number | null) => ({ bucket_start: T[t]!, kind, grp, runs, value });
    expect(
      toSeries([
        row('group', 'gpt-4o', 'a', 2, 10),
        row('group', 'gpt-4o', 'b', 0, 0),
        row('group', null, 'a', 1, 3),
        row('group', null, 'b', 1, 4),
        row('other', null, 'a', 0, 0),
        row('other', null, 'b', 5, 9),
      ]),
    ).toEqual([
      { kind: 'group', group: 'gpt-4o', points: [{ t: a, runs: 2, value: 10 }, { t: b, runs: 0, value: 0 }] },
      { kind: 'group', group: null, points: [{ t: a, runs: 1, value: 3 }, { t: b, runs: 1, value: 4 }] },
      { kind: 'other', group: null, points: [{ t: a, runs: 0, value: 0 }, { t: b, runs: 5, value: 9 }] },
    ]);
    expect(toSeries([])).toEqual([]);
  });
});
