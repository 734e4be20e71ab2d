import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBase64, encodeBase64 } from './base64.js';
import { generateSecret, secretBytes, sign, webhookHeaders, SECRET_PREFIX } from './signing.js';

/**
 * The vector of the reference implementation's own test suite
 * (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts,
 * "sign function works"); the npm package does not ship its tests.
 */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampS: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

afterEach(() => {
  vi.useRealTimers();
});

describe('Standard Webhooks signing', () => {
  it("matches the reference implementation's published vector", async () => {
    expect(await sign(VECTOR.secret, VECTOR)).toBe(VECTOR.signature);
    expect(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(VECTOR.timestampS * 1000), VECTOR.body)).toBe(VECTOR.signature);
  });

  it('produces headers the standardwebhooks verifier accepts, for generated secrets and bodies', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 1, 12) });
    const timestampS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 50; i++) {
      const secret = generateSecret();
      const body = JSON.stringify({ type: 'budget.threshold_crossed', timestamp: new Date().toISOString(), data: { i, text: 'ünïcødé ✓ "quotes" \\ back' } });
      const id = crypto.randomUUID();
      const headers = await webhookHeaders(secret, { id, timestampS, body });
      expect(Object.keys(headers).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp']);
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    }
  });

  it('is refused by the verifier when the body, id, timestamp or secret differ', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 1, 12) });
    const secret = generateSecret();
    const body = '{"type":"webhook.test","timestamp":"2026-12-01T12:00:00.000Z","data":{}}';
    const headers = await webhookHeaders(secret, { id: 'evt-1', timestampS: Math.floor(Date.now() / 1000), body });
    const verifier = new Webhook(secret);
    expect(() => verifier.verify(body.replace('{}', '{"x":1}'), headers)).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-id': 'evt-2' })).toThrow(WebhookVerificationError);
    expect(() => verifier.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });

  it('signs with every secret of a rotation, so the verifier accepts the delivery under the old secret and the new one alike', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 1, 12) });
    const [current, previous, stranger] = [generateSecret(), generateSecret(), generateSecret()];
    const body = '{"type":"webhook.test","timestamp":"2026-12-01T12:00:00.000Z","data":{}}';
    const content = { id: 'evt-rotation', timestampS: Math.floor(Date.now() / 1000), body };
    const headers = await webhookHeaders([current, previous], content);
    // One signature per secret, current first, space-delimited (the spec's rotation form).
    expect(headers['webhook-signature']).toBe(`${await sign(current, content)} ${await sign(previous, content)}`);
    for (const secret of [current, previous]) expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow(WebhookVerificationError);
    // A single secret in a list signs exactly as the secret alone.
    expect(await webhookHeaders([current], content)).toEqual(await webhookHeaders(current, content));
    await expect(webhookHeaders([], content)).rejects.toThrow(TypeError);
  });

  it('makes whsec_ secrets of 32 random bytes, all different', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret.startsWith(SECRET_PREFIX)).toBe(true);
      expect(secretBytes(secret)).toHaveLength(32);
    }
  });

  it('accepts only whsec_ secrets of 24 to 64 bytes, and refuses ids that contain a full stop', async () => {
    const ofLength = (n: number) => SECRET_PREFIX + encodeBase64(new Uint8Array(n).fill(7));
    expect(secretBytes(ofLength(24))).toHaveLength(24);
    expect(secretBytes(ofLength(64))).toHaveLength(64);
    for (const bad of [ofLength(23), ofLength(65), 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_not base64!', 'whsec_']) expect(secretBytes(bad), bad).toBeNull();
    await expect(sign(ofLength(32), { id: 'a.b', timestampS: 1, body: '' })).rejects.toThrow(TypeError);
    await expect(sign('nope', { id: 'a', timestampS: 1, body: '' })).rejects.toThrow(TypeError);
  });
});

describe('base64', () => {
  it('round-trips every byte value in both alphabets and refuses what is not base64', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = encodeBase64(bytes);
    expect(decodeBase64(text)).toEqual(bytes);
    expect(decodeBase64(text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))).toEqual(bytes);
    for (const bad of ['a', 'ab=c', 'abc==', 'a+b_', '!!!!', 'YQ===']) expect(decodeBase64(bad), bad).toBeNull();
  });
});
