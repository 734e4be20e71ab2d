import { describe, expect, it } from 'vitest';
import { seal, unseal } from './seal.js';

const options = { secret: 'admin-token-0123456789abcdef', context: 'admin\n8e03978e-40d5-43e8-bc93-6894a57f9324' };

describe('seal', () => {
  it('opens with the same secret and context', async () => {
    const sealed = await seal('iris_sk_plaintext', options);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('plaintext');
    expect(await unseal(sealed, options)).toBe('iris_sk_plaintext');
  });

  it('seals the same text differently every time (a random IV)', async () => {
    expect(await seal('same', options)).not.toBe(await seal('same', options));
  });

  it('does not open with another secret, another context, or a tampered text', async () => {
    const sealed = await seal('iris_sk_plaintext', options);
    expect(await unseal(sealed, { ...options, secret: 'another-token-0123456789' })).toBeNull();
    expect(await unseal(sealed, { ...options, context: 'admin\nanother-key' })).toBeNull();
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    expect(await unseal(flipped, options)).toBeNull();
    for (const junk of ['', 'v1.', 'v2.abc', 'v1.abc.def', 'v1.$$$$', 'v1.AAAA']) expect(await unseal(junk, options), junk).toBeNull();
  });
});
