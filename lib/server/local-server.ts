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
  const server: Server = createServer(listener);
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
