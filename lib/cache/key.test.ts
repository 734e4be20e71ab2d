import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64 } from './hash.js';
import { cacheKey, canonicalParams, generationKey, lockKey } from './key.js';

describe('canonicalParams', () => {
  it('sorts object keys at every depth', () => {
    expect(canonicalParams({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,2]},"b":1}');
  });

  it('drops undefined members but keeps null', () => {
    expect(canonicalParams({ a: 1, b: undefined, c: null })).toBe('{"a":1,"c":null}');
  });

  it('keeps array order and tells numbers from strings', () => {
    expect(canonicalParams({ a: [2, 1] })).not.toBe(canonicalParams({ a: [1, 2] }));
    expect(canonicalParams({ limit: 1 })).not.toBe(canonicalParams({ limit: '1' }));
  });

  it('refuses non-finite numbers and unsupported types, naming the parameter', () => {
    expect(() => canonicalParams({ a: { b: NaN } })).toThrow(/params\.a\.b/);
    expect(() => canonicalParams({ f: (() => 1) as never })).toThrow(TypeError);
  });

  it('gives equal parameter objects the same form whatever their key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null))), (params) => {
        const reversed = Object.fromEntries(Object.entries(params).reverse());
        expect(canonicalParams(reversed)).toBe(canonicalParams(params));
      }),
    );
  });
});

describe('hash64', () => {
  it('returns 16 hex characters, the same for the same input', () => {
    expect(hash64('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(hash64('abc')).toBe(hash64('abc'));
  });

  it('spreads 100k similar inputs without a collision', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hash64(`{"cursor":${i},"limit":50}`));
    expect(seen.size).toBe(100_000);
  });
});

describe('cacheKey', () => {
  it('builds iris:v1:<project>:<resource>:<hash>', () => {
    const key = cacheKey('p1', 'runs', { limit: 50 });
    expect(key).toEqual({
      project: 'p1',
      resource: 'runs',
      key: `iris:v1:p1:runs:${hash64('{"limit":50}')}`,
      group: 'iris:v1:gen:p1:runs',
    });
  });

  it('ignores parameter order and undefined parameters', () => {
    expect(cacheKey('p', 'r', { a: 1, b: 2, c: undefined }).key).toBe(cacheKey('p', 'r', { b: 2, a: 1 }).key);
  });

  it('never lets two projects share a key for the same parameters', () => {
    expect(cacheKey('project-a', 'overview', {}).key).not.toBe(cacheKey('project-b', 'overview', {}).key);
  });

  it('encodes separators so segments cannot run into each other', () => {
    const a = cacheKey('a:b', 'c', {});
    const b = cacheKey('a', 'b:c', {});
    expect(a.key).not.toBe(b.key);
    expect(a.key.split(':')).toHaveLength(5);
  });

  it('refuses an empty project or resource and the reserved project "gen"', () => {
    expect(() => cacheKey('', 'r')).toThrow(/project/);
    expect(() => cacheKey('p', '')).toThrow(/resource/);
    expect(() => cacheKey('gen', 'r')).toThrow(/gen/);
  });

  it('keeps generation and lock keys apart from every value key', () => {
    const value = cacheKey('p', 'r', {}).key;
    expect(generationKey('p', 'r')).toBe('iris:v1:gen:p:r');
    expect(lockKey(value)).toBe(`${value}:lock`);
    expect(lockKey(value).split(':')).toHaveLength(6);
  });
});

describe('cacheKey of frozen parameters', () => {
  it('gives a frozen object of primitives the same key as an equal plain object, built once', () => {
    const frozen = Object.freeze({ name: 'support-triage', label: 'production', version: null });
    const first = cacheKey('p', 'prompts', frozen);
    expect(first).toEqual(cacheKey('p', 'prompts', { version: null, label: 'production', name: 'support-triage' }));
    expect(cacheKey('p', 'prompts', frozen)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });

  it('keeps the keys of one frozen object apart per project and resource', () => {
    const frozen = Object.freeze({ key: 'exp' });
    expect(cacheKey('p', 'experiments', frozen).key).not.toBe(cacheKey('q', 'experiments', frozen).key);
    expect(cacheKey('p', 'experiments', frozen).key).not.toBe(cacheKey('p', 'prompts', frozen).key);
    expect(cacheKey('q', 'experiments', frozen).project).toBe('q');
  });

  it('recomputes the key of a frozen object whose members are objects, which may still change', () => {
    const list = ['a'];
    const frozen = Object.freeze({ list });
    const before = cacheKey('p', 'r', frozen).key;
    list.push('b');
    expect(cacheKey('p', 'r', frozen).key).not.toBe(before);
    expect(cacheKey('p', 'r', frozen).key).toBe(cacheKey('p', 'r', { list: ['a', 'b'] }).key);
  });
});
