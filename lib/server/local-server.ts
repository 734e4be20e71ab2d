/**
 * Node-only. The local server: the api/ routes behind node:http, with the same
 * services a Vercel instance builds. Used by `npm run dev`, the benchmarks and
 * the integration tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { setServices, type Services } from '../services.js';
import { createFileRouter, loadFileRoutes, type FileRoute } from './file-routes.js';

export interface LocalServerOptions {
  /** Folder holding the api/ tree. */
  apiDir: string;
  services: Services;
  /** @default 3000; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  hostname?: string;
  /**
   * Longest a client may take to send a whole request, headers and body, in
   * ms; then Node answers 408 and closes the connection. Node's default is
   * 300 s, which lets a client that trickles a body hold a socket (and a
   * route waiting on it) for five minutes (issue 11). 30 s is Vercel's
   * function duration: no request that takes longer could be served there.
   * @default 30_000
   */
  requestTimeoutMs?: number;
  /**
   * Longest a client may take to send the request's headers, in ms (at most
   * `requestTimeoutMs`); then 408 and the connection is closed.
   * @default 10_000
   */
  headersTimeoutMs?: number;
}

export interface LocalServer {
  url: string;
  port: number;
  routes: FileRoute[];
  /** Stops accepting connections, waits for background work, closes the services. */
  close(): Promise<void>;
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  // The api/ modules call getServices(); make them see the ones built here.
  setServices(options.services);
  const routes = await loadFileRoutes(options.apiDir);
  const listener = getRequestListener(createFileRouter(routes));
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? 10_000, requestTimeout);
  const server: Server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // Node checks both timeouts only this often (30 s by default), which would add up to 30 s to each.
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    listener,
  );
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.hostname ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${options.hostname ?? '127.0.0.1'}:${port}`,
    port,
    routes,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await options.services.close();
      })();
      return closing;
    },
  };
}
