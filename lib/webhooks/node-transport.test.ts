import { lookup as dnsLookup } from 'node:dns';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeTransport } from './node-transport.js';
import { createUrlGuard } from './url-guard.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port: number;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/redirect') return void res.writeHead(302, { location: '/elsewhere' }).end();
      if (req.url === '/big') return void res.writeHead(500, { 'retry-after': '120' }).end('é'.repeat(5_000));
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A lookup that answers `name` with 127.0.0.1 (the receiver) and defers anything else to the system. */
const fakeDns = ((hostname: string, options: object, callback: (...args: unknown[]) => void) => {
  if (hostname.endsWith('.test')) return callback(null, [{ address: '127.0.0.1', family: 4 }]);
  return dnsLookup(hostname, options as never, callback as never);
}) as unknown as typeof dnsLookup;

const request = (url: string, body = '{"a":1}') => ({ url, headers: { 'content-type': 'application/json', 'webhook-id': 'evt' }, body, timeoutMs: 5_000, maxResponseBytes: 1_024 });

describe('the Node transport', () => {
  const local = createNodeTransport({ refuseAddress: createUrlGuard({ allowLoopback: true }).refuseAddress, lookup: fakeDns });
  const strict = createNodeTransport({ refuseAddress: createUrlGuard({}).refuseAddress, lookup: fakeDns });

  it('POSTs the body and headers as given, with its length', async () => {
    received.length = 0;
    const result = await local.send(request(`http://127.0.0.1:${port}/hooks?x=1`, '{"ünï":"cødé"}'));
    expect(result).toEqual({ kind: 'response', status: 200, body: 'ok', retryAfter: null });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', url: '/hooks?x=1', body: '{"ünï":"cødé"}' });
    expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'webhook-id': 'evt', 'content-length': String(Buffer.byteLength('{"ünï":"cødé"}')) });
  });

  it('does not follow a redirect: the 302 is the answer', async () => {
    received.length = 0;
    expect(await local.send(request(`http://127.0.0.1:${port}/redirect`))).toMatchObject({ kind: 'response', status: 302 });
    expect(received.map((r) => r.url)).toEqual(['/redirect']);
  });

  it('keeps only the first bytes of a large response, and its Retry-After', async () => {
    const result = await local.send({ ...request(`http://127.0.0.1:${port}/big`), maxResponseBytes: 101 });
    expect(result).toMatchObject({ kind: 'response', status: 500, retryAfter: '120' });
    if (result.kind === 'response') {
      expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(103);
      expect(result.body.startsWith('é'.repeat(50))).toBe(true);
    }
  });

  it('checks the address the connection resolves to: a name that resolves to loopback is refused outside local mode', async () => {
    received.length = 0;
    const result = await strict.send(request(`http://rebound.test:${port}/hooks`));
    expect(result).toMatchObject({ kind: 'blocked', message: expect.stringContaining('127.0.0.1 is loopback') });
    expect(received).toHaveLength(0);
    // The same name, where loopback is allowed, reaches the receiver: the lookup, not the name, decided.
    expect(await local.send(request(`http://rebound.test:${port}/hooks`))).toMatchObject({ kind: 'response', status: 200 });
  });

  it('reports a refused connection as a network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await local.send(request(`http://127.0.0.1:${closedPort}/`))).toMatchObject({ kind: 'network', message: expect.stringContaining('ECONNREFUSED') });
  });
});
