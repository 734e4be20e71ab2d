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
