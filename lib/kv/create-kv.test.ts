import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createKv } from './create-kv.js';

describe('createKv', () => {
  it('picks the embedded memory store when no KV is configured', () => {
    const kv = createKv(loadConfig({}).kv, { memory: { maxEntries: 10 } });
    expect(kv.kind).toBe('memory');
  });

  it('picks Upstash when a KV URL and token are configured', () => {
    const config = loadConfig({ KV_REST_API_URL: 'https://example.upstash.io', KV_REST_API_TOKEN: 'token' });
    const kv = createKv(config.kv, { upstash: { timeoutMs: 25 } });
    expect(kv.kind).toBe('upstash');
    expect(kv.kind === 'upstash' && kv.redis).toBeTruthy();
  });
});
