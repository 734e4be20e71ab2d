/**
 * Child process (see child-process.ts): the baseline of the hot-path
 * scenarios. A bare Hono app on @hono/node-server (the adapter the Iris local
 * server uses too) answering GET /api/iris/overview with bytes and headers
 * captured from Iris, and 304 when `If-None-Match` equals the ETag;
 * GET /api/iris/budgets/check with the bytes and headers Iris sent; and any
 * other path (a prompt, an assignment) with the bytes and headers captured
 * for it: no auth, no rate limit, no cache lookup, no budget arithmetic, no
 * metrics.
 *
 *   node --import tsx scripts/bench-cache/bare-server.ts '<BareResponses as JSON>'
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { childMain } from './child-process.js';

export interface BareResponses {
  etag: string;
  body: string;
  /** Headers of the 200, as Iris sent them (transport headers left out: Node adds those to both). */
  headers200: Record<string, string>;
  /** Headers of the 304. */
  headers304: Record<string, string>;
  /** GET /api/iris/budgets/check as Iris answered it: its path (no query: the bare handler ignores it), bytes and headers. */
  budgetCheck?: { path: string; body: string; headers: Record<string, string> };
}

childMain(async () => {
  const spec = JSON.parse(process.argv[2] ?? '{}') as BareResponses;
  const app = new Hono();
  // Registered first: Hono answers with the first route that matches.
  const check = spec.budgetCheck;
  if (check) app.get(check.path, (c) => c.body(check.body, 200, check.headers));
  app.get('*', (c) =>
    c.req.header('if-none-match') === spec.etag ? c.body(null, 304, spec.headers304) : c.body(spec.body, 200, spec.headers200),
  );
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  // As the Iris local server does (lib/server/local-server.ts).
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  return {
    info: { url: `http://127.0.0.1:${port}` },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});
