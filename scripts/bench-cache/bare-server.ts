/**
 * Child process (see child-process.ts): the baseline of the hot-path
 * scenarios. A bare Hono app on @hono/node-server (the adapter the Iris local
 * server uses too) answering GET (the overview, a prompt, an assignment: any path) with bytes and headers
 * captured from Iris, and 304 when `If-None-Match` equals the ETag: no auth,
 * no rate limit, no cache lookup, no metrics.
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
}

childMain(async () => {
  const spec = JSON.parse(process.argv[2] ?? '{}') as BareResponses;
  const app = new Hono();
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
