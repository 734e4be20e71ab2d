import { describe, expect, it } from 'vitest';
import { queryObject } from './validate.js';

describe('queryObject', () => {
  it('returns an empty object when there is no query string', () => {
    expect(queryObject('http://h/api/iris/overview')).toEqual({});
  });

  it('decodes parameters and keeps repeated ones as arrays', () => {
    expect(queryObject('http://h/x?a=1&b=%20two&a=3#frag')).toEqual({ a: ['1', '3'], b: ' two' });
  });

  it('keeps prototype-looking keys as plain data', () => {
    const q = queryObject('http://h/x?__proto__=1&constructor=2');
    expect(Object.keys(q).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(q)).toBe(Object.prototype);
  });
});

describe('queryObject without percent-escapes', () => {
  /** What URLSearchParams makes of the query, in the same shape. */
  function reference(url: string): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = Object.create(null);
    const start = url.indexOf('?');
    if (start === -1) return {};
    const hash = url.indexOf('#', start);
    for (const [key, value] of new URLSearchParams(hash === -1 ? url.slice(start + 1) : url.slice(start + 1, hash))) {
      const existing = out[key];
      out[key] = existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
    }
    return { ...out };
  }

  it.each([
    'http://h/x?subject=user-1',
    'http://h/x?',
    'http://h/x?&',
    'http://h/x?a',
    'http://h/x?a=',
    'http://h/x?=1',
    'http://h/x?a=1&&b=2&',
    'http://h/x?a=1=2',
    'http://h/x?a=1&a=2&a=3',
    'http://h/x?a=1#b=2',
    'http://h/x?a=b?c',
    'http://h/x?toString=1&hasOwnProperty=2',
    'http://h/x?__proto__=1&__proto__=2',
    'http://h/x?a+b=c+d',
    'http://h/x?a=%41%zz&b=%E2%82%AC',
  ])('parses %s exactly as URLSearchParams does', (url) => {
    const q = queryObject(url);
    expect(q).toEqual(reference(url));
    expect(Object.keys(q)).toEqual(Object.keys(reference(url)));
    expect(Object.getPrototypeOf(q)).toBe(Object.prototype);
  });
});
