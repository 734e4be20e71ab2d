import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_IF_NONE_MATCH_LENGTH, matchesIfNoneMatch, parseIfNoneMatch } from './if-none-match.js';

describe('parseIfNoneMatch', () => {
  it('reads a list of strong and weak tags', () => {
    expect(parseIfNoneMatch('"a", W/"b" ,"c"')).toEqual([
      { opaque: '"a"', weak: false },
      { opaque: '"b"', weak: true },
      { opaque: '"c"', weak: false },
    ]);
  });

  it('keeps a comma that is inside a quoted tag', () => {
    expect(parseIfNoneMatch('"a,b", "c"')).toEqual([
      { opaque: '"a,b"', weak: false },
      { opaque: '"c"', weak: false },
    ]);
  });

  it('reads a lone star, surrounded by whitespace', () => {
    expect(parseIfNoneMatch('  *  ')).toBe('*');
  });

  it('skips malformed members and keeps the well-formed ones', () => {
    expect(parseIfNoneMatch('abc, "unterminated, W/"ok", "x"y, w/"lower", "good"')).toEqual([
      { opaque: '"ok"', weak: true },
      { opaque: '"good"', weak: false },
    ]);
  });

  it('returns null for an absent, empty, all-garbage or oversized header', () => {
    expect(parseIfNoneMatch(null)).toBeNull();
    expect(parseIfNoneMatch(undefined)).toBeNull();
    expect(parseIfNoneMatch('')).toBeNull();
    expect(parseIfNoneMatch(' , ,')).toBeNull();
    expect(parseIfNoneMatch('nonsense')).toBeNull();
    expect(parseIfNoneMatch('"a", *')).toEqual([{ opaque: '"a"', weak: false }]);
    expect(parseIfNoneMatch(`"${'a'.repeat(MAX_IF_NONE_MATCH_LENGTH)}"`)).toBeNull();
  });

  it('rejects control characters and spaces inside a tag', () => {
    expect(parseIfNoneMatch('"a b"')).toBeNull();
    expect(parseIfNoneMatch('"a\u0001b"')).toBeNull();
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        const parsed = parseIfNoneMatch(header);
        expect(parsed === null || parsed === '*' || Array.isArray(parsed)).toBe(true);
      }),
    );
  });
});

describe('matchesIfNoneMatch', () => {
  const etag = '"abc"';

  it('matches the exact tag', () => {
    expect(matchesIfNoneMatch('"abc"', etag)).toBe(true);
  });

  it('matches with weak comparison, so W/ on either side still matches (RFC 9110 §13.1.2)', () => {
    expect(matchesIfNoneMatch('W/"abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch('"abc"', 'W/"abc"')).toBe(true);
  });

  it('matches when any member of the list matches', () => {
    expect(matchesIfNoneMatch('"x", "y", "abc"', etag)).toBe(true);
  });

  it('matches a star against any current representation', () => {
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
  });

  it('does not match a different tag, a prefix, or an unquoted copy', () => {
    expect(matchesIfNoneMatch('"abcd"', etag)).toBe(false);
    expect(matchesIfNoneMatch('"ab"', etag)).toBe(false);
    expect(matchesIfNoneMatch('abc', etag)).toBe(false);
  });

  it('never matches when the header is absent or malformed', () => {
    expect(matchesIfNoneMatch(null, etag)).toBe(false);
    expect(matchesIfNoneMatch('', etag)).toBe(false);
    expect(matchesIfNoneMatch('"abc', etag)).toBe(false);
  });

  it('never matches when the current tag is not a quoted tag', () => {
    expect(matchesIfNoneMatch('"abc"', 'abc')).toBe(false);
  });

  it('matches every tag it produced itself, in any position of a list', () => {
    const tag = fc.stringMatching(/^[!#-~]{0,20}$/).map((s) => `"${s}"`);
    fc.assert(
      fc.property(fc.array(tag, { maxLength: 5 }), tag, fc.array(tag, { maxLength: 5 }), (before, current, after) => {
        expect(matchesIfNoneMatch([...before, current, ...after].join(', '), current)).toBe(true);
      }),
    );
  });
});
