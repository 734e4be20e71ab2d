import { describe, expect, it } from 'vitest';
import { parseIdempotencyKey } from './idempotency-key.js';

describe('parseIdempotencyKey', () => {
  it('reads the draft’s sf-string form and the bare form as the same key', () => {
    const uuid = '8e03978e-40d5-43e8-bc93-6894a57f9324';
    expect(parseIdempotencyKey(`"${uuid}"`)).toEqual({ kind: 'valid', key: uuid });
    expect(parseIdempotencyKey(uuid)).toEqual({ kind: 'valid', key: uuid });
    expect(parseIdempotencyKey(` ${uuid} `)).toEqual({ kind: 'valid', key: uuid });
  });

  it('accepts ULIDs, base64, base64url and prefixed job ids', () => {
    for (const key of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'q83vEjRWeJA=', 'q83vEjRWeJA_-x', 'job:2026-11-24/batch.7~retry+1']) {
      expect(parseIdempotencyKey(key)).toEqual({ kind: 'valid', key });
    }
  });

  it('treats a missing header as no key, and an empty one as an invalid key', () => {
    expect(parseIdempotencyKey(undefined)).toEqual({ kind: 'absent' });
    expect(parseIdempotencyKey(null)).toEqual({ kind: 'absent' });
    expect(parseIdempotencyKey('')).toMatchObject({ kind: 'invalid' });
    expect(parseIdempotencyKey('""')).toMatchObject({ kind: 'invalid' });
  });

  it('refuses keys shorter than 8 or longer than 255 characters', () => {
    expect(parseIdempotencyKey('1234567')).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/8 to 255/) });
    expect(parseIdempotencyKey('12345678')).toMatchObject({ kind: 'valid' });
    expect(parseIdempotencyKey('k'.repeat(255))).toMatchObject({ kind: 'valid' });
    expect(parseIdempotencyKey('k'.repeat(256))).toMatchObject({ kind: 'invalid' });
  });

  it('refuses spaces, quotes, escapes, commas (a repeated header), SQL and non-ASCII', () => {
    for (const header of ['two words here', '"abc"def"', '"abc\\"defgh"', 'aaaaaaaa, bbbbbbbb', "'; DROP TABLE x; --", 'cl\u00e9-d-idempotence', 'ключ-идемпотентности', 'tab\there12', '"unterminated12']) {
      expect(parseIdempotencyKey(header), header).toMatchObject({ kind: 'invalid' });
    }
  });

  it('never echoes the value in its reason', () => {
    const result = parseIdempotencyKey('secret value with spaces');
    expect(result.kind === 'invalid' && result.reason).not.toContain('secret');
  });
});
