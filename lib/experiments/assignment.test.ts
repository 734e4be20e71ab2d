import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignmentPoint, assignVariant, murmur3, murmur3Text } from './assignment.js';
import { sampleRatioMismatch } from './statistics/index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('murmur3', () => {
  // Reference values of MurmurHash3_x86_32 (smhasher; also Python's mmh3.hash(s, seed, signed=False)).
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['a', 0, 0x3c2569b2],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0, 0x43ed676a],
    ['hello', 0, 0x248bfa47],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ])('hashes %j with seed %i like the reference', (text, seed, expected) => {
    expect(murmur3(utf8(text), seed)).toBe(expected);
    expect(murmur3Text(text, seed)).toBe(expected);
  });

  it('hashes any string from its characters as it hashes its UTF-8 bytes', () => {
    for (const text of ['user-1', 'ü', 'naïve:subject', '日本語', '😀 emoji', 'a\u0080b', 'x'.repeat(257)]) {
      expect(murmur3Text(text, 7)).toBe(murmur3(utf8(text), 7));
    }
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.nat(), (text, seed) => murmur3Text(text, seed) === murmur3(utf8(text), seed)));
  });
});

describe('assignVariant', () => {
  const halves = [
    { name: 'control', weight: 1 },
    { name: 'treatment', weight: 1 },
  ];

  it('gives a subject the same variant every time, and points stay fixed forever (golden values)', () => {
    expect(assignmentPoint('exp-salt', 'user-1')).toBe(assignmentPoint('exp-salt', 'user-1'));
    // These pin the hash: a change here reassigns every running experiment.
    expect([assignmentPoint('s', 'a'), assignmentPoint('s', 'b')].map((p) => p.toFixed(9))).toEqual(['0.391200972', '0.566423621']);
  });

  it('assigns differently under another salt', () => {
    const subjects = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const same = subjects.filter((s) => assignVariant('one', s, halves) === assignVariant('two', s, halves)).length;
    expect(same).toBeGreaterThan(400);
    expect(same).toBeLessThan(600);
  });

  it('splits 100,000 subjects as the weights say: a chi-square test at p > 0.001', () => {
    for (const weights of [
      [1, 1],
      [90, 10],
      [1, 2, 3, 4],
      [0.2, 0.3, 0.5],
    ]) {
      const variants = weights.map((weight, i) => ({ name: `v${i}`, weight }));
      const counts = new Array<number>(weights.length).fill(0);
      for (let i = 0; i < 100_000; i++) counts[assignVariant('weights-test', `subject-${i}`, variants)]! += 1;
      const srm = sampleRatioMismatch(counts, weights);
      expect(srm.pValue, `${weights.join(':')} gave ${counts.join(', ')}`).toBeGreaterThan(0.001);
    }
  });

  it('never assigns a variant of weight share 0 beyond its share, and assigns a single variant always', () => {
    expect(assignVariant('s', 'x', [{ name: 'only', weight: 5 }])).toBe(0);
    const variants = [
      { name: 'a', weight: 1e-9 },
      { name: 'b', weight: 1 },
    ];
    const toA = Array.from({ length: 10_000 }, (_, i) => assignVariant('s', `u${i}`, variants)).filter((i) => i === 0).length;
    expect(toA).toBeLessThanOrEqual(1);
  });

  it('assigns alike in another process', async () => {
    const module = fileURLToPath(new URL('./assignment.ts', import.meta.url));
    const variants = [
      { name: 'a', weight: 3 },
      { name: 'b', weight: 1 },
      { name: 'c', weight: 2 },
    ];
    const subjects = Array.from({ length: 500 }, (_, i) => `user-${i}-ü`);
    const code = `import { assignVariant } from ${JSON.stringify(module)};
      const subjects = ${JSON.stringify(subjects)};
      console.log(JSON.stringify(subjects.map((s) => assignVariant('cross-process', s, ${JSON.stringify(variants)}))));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual(subjects.map((s) => assignVariant('cross-process', s, variants)));
  });
});
