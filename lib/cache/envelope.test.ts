import { describe, expect, it } from 'vitest';
import { fromBase64, gunzip, gzip, toBase64 } from './compression.js';
import { decodeEnvelope, encodeEnvelope, type Envelope } from './envelope.js';

const base: Omit<Envelope, 'body'> = {
  etag: '"abc"',
  storedAt: 1000,
  freshUntil: 2000,
  staleUntil: 3000,
  graceUntil: 4000,
  gen: 7,
};

describe('compression', () => {
  it('round-trips text, including non-ASCII, through gzip', async () => {
    const text = 'Zoë ☃ 🚀 '.repeat(500);
    expect(await gunzip(await gzip(text))).toBe(text);
  });

  it('round-trips every byte value through base64, beyond one chunk', () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 256);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
  });
});

describe('envelope', () => {
  it('stores a small body as is, after a one-line header', async () => {
    const raw = await encodeEnvelope({ ...base, body: '{"a":1}' });
    expect(raw.endsWith('\n{"a":1}')).toBe(true);
    expect(await decodeEnvelope(raw)).toEqual({ ...base, body: '{"a":1}' });
  });

  it('compresses a large body and restores it exactly', async () => {
    const body = JSON.stringify({ rows: Array.from({ length: 500 }, (_, i) => ({ i, name: `expert-${i % 7}`, ok: true })) });
    const raw = await encodeEnvelope({ ...base, body });
    expect(raw).toContain('"enc":"gzip"');
    expect(raw.length).toBeLessThan(body.length / 3);
    expect(await decodeEnvelope(raw)).toEqual({ ...base, body });
  });

  it('keeps a large body uncompressed when gzip would not make it shorter', async () => {
    const body = toBase64(crypto.getRandomValues(new Uint8Array(3000)));
    const raw = await encodeEnvelope({ ...base, body });
    expect(raw).not.toContain('"enc"');
    expect((await decodeEnvelope(raw))?.body).toBe(body);
  });

  it('honours the compression threshold', async () => {
    const body = 'x'.repeat(200);
    expect(await encodeEnvelope({ ...base, body }, { compressMinChars: 100 })).toContain('"enc":"gzip"');
    expect(await encodeEnvelope({ ...base, body })).not.toContain('"enc"');
  });

  it('decodes anything that is not an envelope as null', async () => {
    const good = await encodeEnvelope({ ...base, body: 'x'.repeat(5000) });
    const corrupted = good.slice(0, good.indexOf('\n') + 1) + 'AAAA' + good.slice(good.indexOf('\n') + 5);
    for (const raw of ['', 'plain', '{"etag":1}\nbody', 'not json\nbody', '{"etag":"x","storedAt":1}\n', corrupted, good.slice(0, -10)]) {
      expect(await decodeEnvelope(raw)).toBeNull();
    }
  });
});
