import { describe, expect, it } from 'vitest';
import { CACHE_POLICIES, createTieredCache, type TieredCache } from '../cache/index.js';
import type { Db, RpcArgs } from '../db/types.js';
import { sha256HexSync } from './api-key.js';
import { authCacheKey, createKeyVerifier } from './verifier.js';

const known = sha256HexSync('iris_sk_known')!;

/** A Db that answers verify_api_key for one key hash and counts the calls. */
function keyDb() {
  let calls = 0;
  const db = {
    kind: 'pglite',
    async rpc(name: string, args: RpcArgs<'verify_api_key'>) {
      if (name !== 'verify_api_key') throw new Error(`unexpected ${name}`);
      calls += 1;
      if (args.p_key_hash !== known) return [];
      return [{ key_id: 'key-1', key_hash: known, project_id: 'project-1', project_name: 'one', settings: { rateLimit: { readsPerMinute: 5 } } }];
    },
    async close() {},
  } as unknown as Db;
  return { db, calls: () => calls };
}

function setup() {
  const { db, calls } = keyDb();
  const cache = createTieredCache({ kv: null });
  const verifier = createKeyVerifier({ db, cache });
  return { verifier, calls, cache };
}

/**
 * Makes the cache entry of `victimHash` hold the lookup cached for `known`, as
 * a collision of the 64-bit cache-key hash would: both keys' hashes then select
 * the same entry.
 */
async function collide(cache: TieredCache, victimHash: string, cachedValue: string): Promise<void> {
  await cache.getOrCompute(authCacheKey(victimHash), async () => cachedValue, { policy: CACHE_POLICIES.auth });
}

describe('the key verifier', () => {
  it('looks a key up once, then answers from the cache, synchronously through peek', async () => {
    const { verifier, calls } = setup();
    expect(verifier.peek(known)).toBeUndefined();
    const project = await verifier.verify(known);
    expect(project).toMatchObject({ id: 'project-1', keyId: 'key-1' });
    const cached = await verifier.verify(known);
    expect(cached).toEqual(project);
    expect(verifier.peek(known)).toBe(cached);
    expect(calls()).toBe(1);
  });

  it('never caches an unknown key: every attempt asks the database again', async () => {
    const { verifier, calls } = setup();
    const unknown = sha256HexSync('iris_sk_unknown')!;
    expect(await verifier.verify(unknown)).toBeNull();
    expect(verifier.peek(unknown)).toBeUndefined();
    expect(await verifier.verify(unknown)).toBeNull();
    expect(calls()).toBe(2);
  });

  it('runs beforeDatabase only when the lookup goes to the database', async () => {
    const { verifier } = setup();
    let spent = 0;
    const beforeDatabase = async () => void (spent += 1);
    await verifier.verify(known, { beforeDatabase });
    await verifier.verify(known, { beforeDatabase });
    expect(spent).toBe(1);
  });

  it('forgets every cached lookup on invalidate (revoke, rotate)', async () => {
    const { verifier, calls } = setup();
    await verifier.verify(known);
    await verifier.invalidate();
    expect(verifier.peek(known)).toBeUndefined();
    await verifier.verify(known);
    expect(calls()).toBe(2);
  });

  it('hands out a frozen project, since every request of the key shares it', async () => {
    const { verifier } = setup();
    const project = (await verifier.verify(known))!;
    expect(Object.isFrozen(project)).toBe(true);
    expect(Object.isFrozen(project.settings)).toBe(true);
  });

  it("never hands out a cached project for another key whose hash shares its cache entry: the full hash is compared", async () => {
    const { verifier, calls, cache } = setup();
    await verifier.verify(known);
    const cachedForKnown = JSON.stringify({ project: await verifier.verify(known), keyHash: known });
    const other = sha256HexSync('iris_sk_other')!;
    await collide(cache, other, cachedForKnown);
    // peek (the synchronous path) and verify (through the cache) both see the entry and both refuse it.
    expect(verifier.peek(other)).toBeUndefined();
    const before = calls();
    expect(await verifier.verify(other)).toBeNull();
    // The database was asked instead, and said the other key is unknown.
    expect(calls()).toBe(before + 1);
    // The entry's own key still gets its project.
    expect(await verifier.verify(known)).toMatchObject({ id: 'project-1' });
  });

  it('ignores a cached lookup that does not hold the key hash (an older entry format)', async () => {
    const { verifier, calls, cache } = setup();
    await collide(cache, known, JSON.stringify({ id: 'project-1', name: 'one', settings: {}, keyId: 'key-1' }));
    expect(verifier.peek(known)).toBeUndefined();
    expect(await verifier.verify(known)).toMatchObject({ id: 'project-1' });
    expect(calls()).toBe(1);
  });
});
