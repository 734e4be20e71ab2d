import { existsSync } from 'node:fs';
import { Redis } from '@upstash/redis';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { freePort, startPgbouncer, startPostgres, startRedis } from './index.js';
import { isAlive } from './process.js';

const env = process.env;

describe.skipIf(!env.IRIS_TEST_DATABASE_URL)('the servers run.ts exports', () => {
  it('answers SQL on IRIS_TEST_DATABASE_URL with PostgreSQL 15', async () => {
    const sql = postgres(env.IRIS_TEST_DATABASE_URL ?? '', { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
      expect(row?.version).toMatch(/^15\./);
    } finally {
      await sql.end();
    }
  });

  it('serves the Upstash REST protocol on IRIS_TEST_KV_URL, backed by the redis on IRIS_TEST_REDIS_PORT', async () => {
    expect(env.IRIS_TEST_REDIS_URL).toBe(`redis://127.0.0.1:${env.IRIS_TEST_REDIS_PORT}`);
    const kv = new Redis({ url: env.IRIS_TEST_KV_URL ?? '', token: env.IRIS_TEST_KV_TOKEN ?? '' });
    const key = `harness:${Date.now()}`;
    await kv.set(key, { ok: true }, { ex: 60 });
    expect(await kv.get(key)).toEqual({ ok: true });
    await kv.del(key);
  });
});

describe('the server helpers', () => {
  it('start a private PostgreSQL that stop() ends by PID, leaving no data directory behind', async () => {
    const pg = await startPostgres();
    const sql = postgres(pg.url, { max: 1, onnotice: () => undefined });
    try {
      const [row] = await sql<{ one: number }[]>`select 1 as one`;
      expect(row?.one).toBe(1);
    } finally {
      await sql.end();
      await pg.stop();
    }
    expect(isAlive(pg.pid)).toBe(false);
    expect(existsSync(pg.dataDir)).toBe(false);
    await pg.stop(); // twice is fine
  });

  it('halt a private PostgreSQL by PID and restart it on the same port with its data', async () => {
    const pg = await startPostgres();
    const connect = () => postgres(pg.url, { max: 1, onnotice: () => undefined, connect_timeout: 2 });
    try {
      let sql = connect();
      await sql`create table kept (n int)`;
      await sql`insert into kept values (42)`;
      await sql.end();
      const firstPid = pg.pid;
      await pg.halt();
      expect(isAlive(firstPid)).toBe(false);
      sql = connect();
      await expect(sql`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await sql.end();
      await pg.restart();
      expect(pg.pid).not.toBe(firstPid);
      sql = connect();
      expect(await sql`select n from kept`).toEqual([{ n: 42 }]);
      await sql.end();
    } finally {
      await pg.stop();
    }
    expect(existsSync(pg.dataDir)).toBe(false);
  });

  it('start a private PgBouncer in transaction mode in front of a PostgreSQL, which stop() ends by PID', async () => {
    const pg = await startPostgres();
    const bouncer = await startPgbouncer({ upstreamPort: pg.port, poolMode: 'transaction' });
    const sql = postgres(bouncer.url(), { max: 1, prepare: false, onnotice: () => undefined });
    try {
      const [row] = await sql<{ one: number }[]>`select 1 as one`;
      expect(row?.one).toBe(1);
    } finally {
      await sql.end();
      await bouncer.stop();
      await pg.stop();
    }
    expect(isAlive(bouncer.pid)).toBe(false);
    await bouncer.stop(); // twice is fine
  });

  it('start a private redis-server that answers until stop() ends it by PID', async () => {
    const redis = await startRedis();
    expect(isAlive(redis.pid)).toBe(true);
    await redis.stop();
    expect(isAlive(redis.pid)).toBe(false);
    await redis.stop();
  });

  it('stop a paused redis-server too', async () => {
    const redis = await startRedis();
    redis.pause();
    await redis.stop();
    expect(isAlive(redis.pid)).toBe(false);
  });

  it('find a TCP port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(1023);
    expect(port).toBeLessThan(65536);
  });
});
