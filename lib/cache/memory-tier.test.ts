import { describe, expect, it } from 'vitest';
import { createMemoryTier, l1EntryBytes, type L1Entry } from './memory-tier.js';

const entry = (body: string): L1Entry => ({
  body,
  etag: '"0123456789abcdefghijkl"',
  storedAt: 0,
  freshUntil: 1,
  staleUntil: 1,
  graceUntil: 1,
  gen: 0,
  kvGen: 0,
  epoch: 1,
});

describe('createMemoryTier', () => {
  it('stays within maxBytes while 100k keys flow through it', () => {
    const maxBytes = 1024 * 1024;
    const tier = createMemoryTier({ maxBytes, maxEntries: 1_000_000 });
    for (let i = 0; i < 100_000; i++) {
      tier.set(`iris:v1:p:r:${i.toString(16).padStart(16, '0')}`, entry('x'.repeat(100 + (i % 400))));
      if (i % 10_000 === 0) expect(tier.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const { bytes, entries } = tier.stats();
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    expect(entries).toBeGreaterThan(500);
  });

  it('stays within maxEntries', () => {
    const tier = createMemoryTier({ maxEntries: 10 });
    for (let i = 0; i < 100; i++) tier.set(`k${i}`, entry('v'));
    expect(tier.stats().entries).toBe(10);
    expect(tier.get('k99')).toBeDefined();
    expect(tier.get('k0')).toBeUndefined();
  });

  it('refuses an entry over maxEntryBytes and drops the older one for that key', () => {
    const tier = createMemoryTier({ maxBytes: 10_000, maxEntryBytes: 1_000 });
    expect(tier.set('k', entry('small'))).toBe(true);
    expect(tier.set('k', entry('x'.repeat(1_000)))).toBe(false);
    expect(tier.get('k')).toBeUndefined();
  });

  it('charges two bytes per UTF-16 code unit plus the fixed overhead', () => {
    const tier = createMemoryTier();
    tier.set('key', entry('body'));
    expect(tier.stats().bytes).toBe(l1EntryBytes('key', entry('body')));
  });

  it('refuses invalid bounds, naming the option', () => {
    expect(() => createMemoryTier({ maxBytes: 0 })).toThrow(/maxBytes/);
    expect(() => createMemoryTier({ maxBytes: 100, maxEntryBytes: 200 })).toThrow(/maxEntryBytes/);
  });
});
