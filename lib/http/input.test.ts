import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError } from '../errors.js';
import { inputParser } from './input.js';
import type { AppEnv, RouteContext } from './route.js';

const Params = z.strictObject({ name: z.string().regex(/^[a-z-]+$/) });
const Query = z.strictObject({ projectId: z.string().optional(), subject: z.string().min(1).max(8) });

/** A route around `parse`, acting for project `own`, answering what it parsed (or the error's status and code). */
function route(parse: (c: RouteContext) => unknown) {
  const app = new Hono<AppEnv>();
  app.get('/things/:name', (c) => {
    c.set('project', { id: c.req.header('x-project') ?? 'own' } as never);
    try {
      return c.json(parse(c) as object);
    } catch (error) {
      if (error instanceof HttpError) return c.json({ status: error.status, code: error.code }, 200);
      throw error;
    }
  });
  return { app };
}

describe('inputParser', () => {
  it('answers the validated path parameters and query, the same frozen object for the same URL', async () => {
    const parse = inputParser(Params, Query);
    const seen: unknown[] = [];
    const { app } = route((c) => {
      const input = parse(c);
      seen.push(input);
      return input;
    });
    const first = await (await app.request('/things/lamp?subject=user-1')).json();
    expect(first).toEqual({ params: { name: 'lamp' }, query: { subject: 'user-1' } });
    await app.request('/things/lamp?subject=user-1');
    expect(seen[1]).toBe(seen[0]);
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(Object.isFrozen((seen[0] as { query: object }).query)).toBe(true);
    await app.request('/things/lamp?subject=user-2');
    expect(seen[2]).not.toBe(seen[0]);
  });

  it('refuses invalid input with the same 422 every time, path first, and keeps none of it', async () => {
    const parse = inputParser(Params, Query, { maxEntries: 4 });
    const { app } = route(parse);
    for (let i = 0; i < 2; i++) {
      expect(await (await app.request('/things/lamp?subject=')).json()).toEqual({ status: 422, code: 'validation_failed' });
      expect(await (await app.request('/things/lamp?subject=a&extra=1')).json()).toEqual({ status: 422, code: 'validation_failed' });
      expect(await (await app.request('/things/LAMP?subject=')).json()).toMatchObject({ status: 422 });
    }
  });

  it('checks a projectId in the query against the key of each request, even for a URL it keeps', async () => {
    const parse = inputParser(Params, Query);
    const { app } = route(parse);
    const url = '/things/lamp?subject=s&projectId=own';
    expect(await (await app.request(url)).json()).toMatchObject({ query: { projectId: 'own' } });
    expect(await (await app.request(url, { headers: { 'x-project': 'other' } })).json()).toEqual({ status: 403, code: 'project_mismatch' });
  });

  it('keeps at most maxEntries URLs, and none longer than maxUrlLength', async () => {
    const parse = inputParser(Params, Query, { maxEntries: 2, maxUrlLength: 40 });
    const seen: unknown[] = [];
    const { app } = route((c) => {
      const input = parse(c);
      seen.push(input);
      return input;
    });
    for (const s of ['a', 'b', 'c', 'a']) await app.request(`/things/lamp?subject=${s}`);
    // 'a' was the oldest of three: gone, so its second answer is a new object.
    expect(seen[3]).not.toBe(seen[0]);
    expect(seen[3]).toEqual(seen[0]);
    const long = `/things/${'x'.repeat(40)}?subject=a`;
    await app.request(long);
    await app.request(long);
    expect(seen[5]).not.toBe(seen[4]);
  });
});
