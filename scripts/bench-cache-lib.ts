/**
 * Micro-benchmark of lib/cache on its own (no HTTP, no database):
 *
 *   node --expose-gc --import tsx scripts/bench-cache-lib.ts [--keys 1000000] [--hits 200000]
 *
 * - hit-l1: repeated reads of one warm key (the hot path: no hashing, no JSON).
 * - hit-l2: first reads on a second instance of values another instance stored
 *   (KV read + envelope decode + gunzip for large bodies), over the memory KV.
 * - stampede: 10,000 concurrent reads of one cold key: exactly one compute.
 * - flood: `--keys` distinct keys through a 32 MiB L1: bytes must stay bounded.
 * Prints one JSON line per scenario. Numbers are indicative: the machine is shared.
 */
import { parseArgs } from 'node:util';
import { createBackground } from '../lib/background.js';
import { cacheKey, cachePolicy, createTieredCache } from '../lib/cache/index.js';
import { createMemoryKv } from '../lib/kv/index.js';

const { values } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    hits: { type: 'string', default: '200000' },
  },
});
const floodKeys = Number(values.keys);
const hits = Number(values.hits);

const policy = cachePolicy({ ttlMs: 3_600_000, staleMs: 0, graceMs: 0 });
const quiet = () => createBackground({ waitUntil: () => {} });
const smallBody = JSON.stringify({ runs: 1234, costUsd: 12.5, successRate: 0.97, topModels: ['a', 'b', 'c'] });
const largeBody = JSON.stringify({ rows: Array.from({ length: 400 }, (_, i) => ({ i, model: `model-${i % 9}`, tokens: i * 31 })) });

/** Heap in use after a full collection when `--expose-gc` is given (otherwise it includes garbage). */
function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function report(scenario: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ scenario, ...fields }));
}

async function hitL1(): Promise<void> {
  const cache = createTieredCache({ background: quiet() });
  const key = cacheKey('p', 'overview', {});
  await cache.getOrCompute(key, async () => smallBody, { policy });
  const started = performance.now();
  for (let i = 0; i < hits; i++) await cache.getOrCompute(key, async () => smallBody, { policy });
  const ms = performance.now() - started;
  report('hit-l1', { calls: hits, opsPerS: Math.round((hits / ms) * 1000), usPerOp: +((ms * 1000) / hits).toFixed(2) });
}

async function hitL2(): Promise<void> {
  const kv = createMemoryKv({ maxEntries: 100_000, maxBytes: 256 * 1024 * 1024 });
  const writerBackground = quiet();
  const writer = createTieredCache({ kv, background: writerBackground, kvTimeoutMs: 1_000 });
  const reader = createTieredCache({ kv, background: quiet(), kvTimeoutMs: 1_000 });
  for (const [label, body] of [
    ['small', smallBody],
    ['large-gzip', largeBody],
  ] as const) {
    const n = 5_000;
    for (let i = 0; i < n; i++) await writer.getOrCompute(cacheKey('p', label, { i }), async () => body, { policy });
    await writerBackground.drain();
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      const result = await reader.getOrCompute(cacheKey('p', label, { i }), async () => 'never', { policy });
      if (result.status !== 'HIT-L2') throw new Error(`expected HIT-L2, got ${result.status}`);
    }
    const ms = performance.now() - started;
    report('hit-l2', { body: label, bodyChars: body.length, calls: n, usPerOp: +((ms * 1000) / n).toFixed(2) });
  }
}

async function stampede(): Promise<void> {
  const cache = createTieredCache({ background: quiet() });
  let computes = 0;
  const key = cacheKey('p', 'stats', { window: '7d' });
  const compute = async () => {
    computes += 1;
    await new Promise((resolve) => setTimeout(resolve, 20));
    return smallBody;
  };
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10_000 }, () => cache.getOrCompute(key, compute, { policy })));
  report('stampede', {
    callers: results.length,
    computes,
    coalesced: results.filter((r) => r.status === 'COALESCED').length,
    ms: Math.round(performance.now() - started),
  });
}

async function flood(): Promise<void> {
  const maxBytes = 32 * 1024 * 1024;
  // lru-cache preallocates index arrays for maxEntries: keep it near what the byte bound allows.
  const cache = createTieredCache({ background: quiet(), maxBytes, maxEntries: 200_000 });
  const heapBefore = heapUsed();
  let maxSeen = 0;
  const started = performance.now();
  for (let i = 0; i < floodKeys; i++) {
    // A distinct body per key, as real values are: memory is then what it would be in production.
    await cache.getOrCompute(cacheKey('p', 'runs', { cursor: i }), async () => `${smallBody.slice(0, -1)},"i":${i}}`, { policy });
    if (i % 50_000 === 0) maxSeen = Math.max(maxSeen, cache.stats().l1Bytes);
  }
  const { l1Bytes, l1Entries } = cache.stats();
  maxSeen = Math.max(maxSeen, l1Bytes);
  report('flood', {
    keys: floodKeys,
    maxBytes,
    maxL1BytesSeen: maxSeen,
    withinBound: maxSeen <= maxBytes,
    l1Entries,
    heapGrowthMiB: +((heapUsed() - heapBefore) / 1024 / 1024).toFixed(1),
    s: +((performance.now() - started) / 1000).toFixed(1),
  });
  if (maxSeen > maxBytes) process.exitCode = 1;
}

await hitL1();
await hitL2();
await stampede();
await flood();
