import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCursor, encodeCursor, jsonObject, utf8Length } from './common.js';
import { RunSchema } from './runs.js';

describe('cursors', () => {
  it('round-trips a keyset position', () => {
    const cursor = { createdAt: '2026-11-24T07:00:00.123456+00:00', id: '0b0f4a4e-2c2e-4b8e-9d7e-5a1f9d0c3b21' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it('rejects anything Iris did not issue', () => {
    for (const bad of ['', 'abc', "' OR 1=1 --", encodeCursor({ createdAt: 'yesterday', id: 'x' }), 'a'.repeat(500), btoa('2026-01-01T00:00:00Z|not-a-uuid')]) {
      expect(decodeCursor(bad)).toBeNull();
    }
  });
});

describe('RunSchema', () => {
  const run = { expertId: 'planner', model: 'gpt-4o', latencyMs: 120, outcome: 'success' };

  it('fills token defaults and leaves the cost to be computed when none is sent', () => {
    const parsed = RunSchema.parse(run);
    expect(parsed).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    expect(parsed.costUsd).toBeUndefined();
  });

  it('rejects unknown fields, NUL characters, infinite numbers and prototype keys', () => {
    expect(RunSchema.safeParse({ ...run, extra: 1 }).success).toBe(false);
    expect(RunSchema.safeParse({ ...run, errorType: 'a\u0000b' }).success).toBe(false);
    expect(RunSchema.safeParse({ ...run, latencyMs: Infinity }).success).toBe(false);
    expect(RunSchema.safeParse(JSON.parse('{"expertId":"a","model":"m","latencyMs":1,"outcome":"success","__proto__":{"x":1}}')).success).toBe(false);
  });
});

describe('utf8Length', () => {
  it('counts the bytes TextEncoder writes, surrogate pairs and lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length);
      }),
      { numRuns: 2_000, seed: 16_384 },
    );
    expect(utf8Length('\ud800')).toBe(3);
    expect(utf8Length('💥')).toBe(4);
  });
});

describe('free-form JSON (metadata, report data, expert performance)', () => {
  const metadata = jsonObject(16_384);
  const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

  it('limits the serialised size in UTF-8 bytes, not UTF-16 units', () => {
    const fits = { e: '💥'.repeat(4_094) };
    const over = { e: '💥'.repeat(4_095) };
    expect([bytes(fits), bytes(over)]).toEqual([16_384, 16_388]);
    expect(metadata.safeParse(fits).success).toBe(true);
    // 8,198 UTF-16 units: under the old count, half the limit.
    expect(metadata.safeParse(over).success).toBe(false);
    expect(metadata.safeParse({ e: 'é'.repeat(8_200) }).success).toBe(false);
  });

  it('refuses __proto__ and constructor keys at any depth, naming where they are, and takes prototype as data', () => {
    const issues = (text: string) => {
      const result = metadata.safeParse(JSON.parse(text));
      return result.success ? null : result.error.issues.map((i) => i.path.join('.'));
    };
    expect(issues('{"__proto__":{"isAdmin":true}}')).toEqual(['__proto__']);
    expect(issues('{"a":{"b":[1,{"constructor":{"prototype":{"x":1}}}]}}')).toEqual(['a.b.1.constructor']);
    expect(issues('{"prototype":1,"Constructor":2,"__proto":3}')).toBeNull();
    expect(metadata.parse(JSON.parse('{"prototype":{"x":1}}'))).toEqual({ prototype: { x: 1 } });
  });
});
