import { describe, expect, it } from 'vitest';
import { serverTiming } from './server-timing.js';

describe('serverTiming', () => {
  it('builds name, quoted description and duration with one decimal', () => {
    expect(
      serverTiming([
        { name: 'auth', durMs: 1.23 },
        { name: 'cache', desc: 'HIT-L1', durMs: 0.08 },
        { name: 'db', durMs: 12.34 },
      ]),
    ).toBe('auth;dur=1.2, cache;desc="HIT-L1";dur=0.1, db;dur=12.3');
  });

  it('escapes quotes and backslashes in descriptions and replaces unprintable characters', () => {
    expect(serverTiming([{ name: 'x', desc: 'a"b\\c\r\nd☃' }])).toBe('x;desc="a\\"b\\\\c??d?"');
  });

  it('turns characters outside a token into underscores and drops empty names', () => {
    expect(serverTiming([{ name: 'db query', durMs: 1 }, { name: '' }, { name: ' ;' }])).toBe('db_query;dur=1');
  });

  it('leaves out durations that are negative or not finite', () => {
    expect(
      serverTiming([
        { name: 'a', durMs: -1 },
        { name: 'b', durMs: NaN },
      ]),
    ).toBe('a, b');
  });

  it('returns an empty string for no metrics', () => {
    expect(serverTiming([])).toBe('');
  });
});

describe('serverTiming, called again', () => {
  it('answers the same for the same metrics, and tells an empty description from none', () => {
    const metrics = [
      { name: 'auth', durMs: 0.31 },
      { name: 'cache', desc: 'HIT-L1', durMs: 0 },
      { name: 'db query', durMs: 2 },
    ];
    const first = serverTiming(metrics);
    expect(serverTiming(metrics)).toBe(first);
    expect(serverTiming([{ name: 'cache', desc: 'MISS', durMs: 1 }])).toBe('cache;desc="MISS";dur=1');
    expect(serverTiming([{ name: 'e', desc: '' }])).toBe('e;desc=""');
    expect(serverTiming([{ name: 'e' }])).toBe('e');
  });

  it('keeps answering correctly past the number of descriptions it remembers', () => {
    for (let i = 0; i < 600; i++) expect(serverTiming([{ name: 'cache', desc: `d${i}`, durMs: i }])).toBe(`cache;desc="d${i}";dur=${i}`);
    expect(serverTiming([{ name: ' ;' }, { name: 'db', durMs: 1.25 }])).toBe('db;dur=1.3');
  });
});
