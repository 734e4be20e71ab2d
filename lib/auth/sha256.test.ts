import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHA256_ONE_BLOCK_MAX, sha256HexShort } from './sha256.js';

const reference = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

describe('sha256HexShort', () => {
  it.each([
    // FIPS 180-4 examples and the padding edges of one block (55 bytes fit, 56 do not).
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['a'.repeat(55), '9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318'],
    ['iris_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', reference('iris_sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
  ])('hashes %j as FIPS 180-4 does', (value, digest) => {
    expect(sha256HexShort(value)).toBe(digest);
  });

  it('agrees with node:crypto on every ASCII string that fits one block', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: SHA256_ONE_BLOCK_MAX }), (value) => {
        expect(sha256HexShort(value)).toBe(reference(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it('agrees with node:crypto at every length from 0 to 55', () => {
    for (let n = 0; n <= SHA256_ONE_BLOCK_MAX; n++) {
      const value = Array.from({ length: n }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join('');
      expect(sha256HexShort(value)).toBe(reference(value));
    }
  });

  it('leaves a longer or non-ASCII string to the platform hash', () => {
    expect(sha256HexShort('a'.repeat(56))).toBeUndefined();
    expect(sha256HexShort('é')).toBeUndefined();
    expect(sha256HexShort('\u0080')).toBeUndefined();
  });

  it('keeps no state between calls: a short hash after a refused one is still right', () => {
    expect(sha256HexShort('x'.repeat(40) + 'é')).toBeUndefined();
    expect(sha256HexShort('abc')).toBe(reference('abc'));
    expect(sha256HexShort('a'.repeat(55))).toBe(reference('a'.repeat(55)));
    expect(sha256HexShort('')).toBe(reference(''));
  });
});
