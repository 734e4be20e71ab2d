import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64Url } from './base64.js';
import { createSecretBox, secretContext } from './secret-box.js';

const key = () => crypto.getRandomValues(new Uint8Array(32));
const context = secretContext('5c9e0f4e-6b7a-4c51-9a43-2f0f3b9a7d11', 'd0a1f7e2-3c4b-4d5e-8f60-718293a4b5c6');
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Flips one bit of the sealed bytes at `index` (negative: from the end). */
function flip(sealed: string, index: number): string {
  const [version, keyId, body] = sealed.split('.');
  const bytes = decodeBase64(body!)!;
  const at = index < 0 ? bytes.length + index : index;
  bytes[at]! ^= 0x01;
  return `${version}.${keyId}.${encodeBase64Url(bytes)}`;
}

describe('secret box (AES-256-GCM at rest)', () => {
  it('opens what it sealed, and seals the same secret differently every time', async () => {
    const box = createSecretBox(key());
    const a = await box.seal(secret, context);
    const b = await box.seal(secret, context);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toContain('MfKQ9r8');
    expect(await box.open(a, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: false });
    expect(await box.open(b, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: false });
  });

  it('detects a flipped bit in the IV, the ciphertext or the tag', async () => {
    const box = createSecretBox(key());
    const sealed = await box.seal(secret, context);
    for (const index of [0, 11, 12, 20, -16, -1]) expect(await box.open(flip(sealed, index), context), `byte ${index}`).toEqual({ ok: false, reason: 'tampered' });
  });

  it('does not open for another endpoint or project: the context is authenticated', async () => {
    const box = createSecretBox(key());
    const sealed = await box.seal(secret, context);
    expect(await box.open(sealed, secretContext('5c9e0f4e-6b7a-4c51-9a43-2f0f3b9a7d11', crypto.randomUUID()))).toEqual({ ok: false, reason: 'tampered' });
  });

  it('tells a value sealed under another key from a tampered one, and refuses malformed values', async () => {
    const sealed = await createSecretBox(key()).seal(secret, context);
    const other = createSecretBox(key());
    expect(await other.open(sealed, context)).toEqual({ ok: false, reason: 'other_key' });
    for (const bad of ['', 'v1', 'v2.00000000.AAAA', 'v1.zzzzzzzz.AAAA', `v1.${sealed.split('.')[1]}.AAAA`, `${sealed}.extra`, sealed.replace(/.$/, '!')]) {
      expect(await other.open(bad, context), bad).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('refuses a key that is not 32 bytes, current or previous', () => {
    expect(() => createSecretBox(new Uint8Array(16))).toThrow(TypeError);
    expect(() => createSecretBox(key(), { previous: [key(), new Uint8Array(31)] })).toThrow(/previous encryption key 2 must be 32 bytes/);
  });
});

describe('secret box key rotation (IRIS_ENCRYPTION_KEY_PREVIOUS)', () => {
  it('opens values sealed under a previous key and says they should be sealed again; seals only under the current key', async () => {
    const [oldest, old, current] = [key(), key(), key()];
    const fromOldest = await createSecretBox(oldest).seal(secret, context);
    const fromOld = await createSecretBox(old).seal(secret, context);
    const rotated = createSecretBox(current, { previous: [old, oldest] });
    expect(await rotated.open(fromOldest, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: true });
    expect(await rotated.open(fromOld, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: true });
    const resealed = await rotated.seal(secret, context);
    expect(resealed.split('.')[1]).toBe((await createSecretBox(current).seal('x', context)).split('.')[1]);
    expect(await rotated.open(resealed, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: false });
    // Once the previous key is dropped, what it sealed no longer opens; what was sealed again does.
    const retired = createSecretBox(current);
    expect(await retired.open(fromOld, context)).toEqual({ ok: false, reason: 'other_key' });
    expect(await retired.open(resealed, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: false });
  });

  it('still authenticates under a previous key: a flipped bit or another context does not open', async () => {
    const old = key();
    const sealed = await createSecretBox(old).seal(secret, context);
    const rotated = createSecretBox(key(), { previous: [old] });
    expect(await rotated.open(flip(sealed, -1), context)).toEqual({ ok: false, reason: 'tampered' });
    expect(await rotated.open(sealed, secretContext(crypto.randomUUID(), crypto.randomUUID()))).toEqual({ ok: false, reason: 'tampered' });
  });

  it('treats the current key listed as previous too, or a previous key listed twice, as one key', async () => {
    const current = key();
    const box = createSecretBox(current, { previous: [current, current] });
    const sealed = await box.seal(secret, context);
    expect(await box.open(sealed, context)).toEqual({ ok: true, plaintext: secret, underPreviousKey: false });
  });
});
