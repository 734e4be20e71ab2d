import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './common.js';
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
