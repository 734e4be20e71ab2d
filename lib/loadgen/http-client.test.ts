import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConnection, RequestBuilder } from './http-client.js';

const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; sockets: Set<Socket> }> {
  const server = createServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, sockets };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => resolve(body));
  });

describe('HttpConnection', () => {
  it('carries many requests over one keep-alive connection', async () => {
    const { url, sockets } = await serve((_req, res) => res.end('{"ok":true}'));
    const connection = new HttpConnection({ baseUrl: url });
    const request = new RequestBuilder({ baseUrl: url }).build('GET', '/x');
    for (let i = 0; i < 20; i++) expect((await connection.send(request)).status).toBe(200);
    expect(sockets.size).toBe(1);
    connection.close();
  });

  it('sends the common headers, the path prefix and a JSON body intact', async () => {
    let seen: { method?: string; url?: string; headers?: Record<string, unknown>; body?: string } = {};
    const { url } = await serve(async (req, res) => {
      seen = { method: req.method, url: req.url, headers: req.headers, body: await readBody(req) };
      res.writeHead(201, { 'x-cache': 'MISS', 'server-timing': 'db;dur=3.5' }).end('{}');
    });
    const options = { baseUrl: `${url}/prefix/`, headers: { authorization: 'Bearer k', 'x-vercel-protection-bypass': 's' } };
    const body = JSON.stringify({ runs: [{ expertId: 'é', n: 1 }] });
    const result = await new HttpConnection(options).send(new RequestBuilder(options).build('POST', '/api/iris/runs', body));
    expect(result).toMatchObject({ status: 201, error: null, headers: { 'x-cache': 'MISS', 'server-timing': 'db;dur=3.5' } });
    expect(result.endedAt).toBeGreaterThanOrEqual(result.sentAt);
    expect(seen).toMatchObject({ method: 'POST', url: '/prefix/api/iris/runs', body });
    expect(seen.headers).toMatchObject({ authorization: 'Bearer k', 'x-vercel-protection-bypass': 's', 'content-type': 'application/json' });
  });

  it('reads chunked responses and reconnects after Connection: close', async () => {
    const { url, sockets } = await serve((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.write('part one, ');
      res.end('part two');
    });
    const builder = new RequestBuilder({ baseUrl: url });
    const connection = new HttpConnection({ baseUrl: url });
    expect(await connection.send(builder.build('GET', '/close'))).toMatchObject({ status: 200, bodyBytes: 18 });
    expect(await connection.send(builder.build('GET', '/chunked'))).toMatchObject({ status: 200, bodyBytes: 18 });
    expect(sockets.size).toBe(2);
    connection.close();
  });

  it('retries once on a fresh connection when the server closed the idle one', async () => {
    const { url, sockets } = await serve((_req, res) => res.end('ok'));
    const builder = new RequestBuilder({ baseUrl: url });
    const connection = new HttpConnection({ baseUrl: url });
    expect((await connection.send(builder.build('GET', '/'))).status).toBe(200);
    // What a keep-alive timeout on the server does.
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await connection.send(builder.build('GET', '/'));
    expect(again).toMatchObject({ status: 200, error: null });
    connection.close();
  });

  it('fails with the socket error code when nothing listens', async () => {
    const { url, server } = await serve(() => {});
    server.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const result = await new HttpConnection({ baseUrl: url }).send(new RequestBuilder({ baseUrl: url }).build('GET', '/'));
    expect(result).toMatchObject({ status: 0, error: 'ECONNREFUSED' });
  });

  it('fails with reason timeout when no response comes in time, and recovers on the next request', async () => {
    const { url } = await serve((req, res) => {
      if (req.url !== '/hang') res.end('ok');
    });
    const builder = new RequestBuilder({ baseUrl: url });
    const connection = new HttpConnection({ baseUrl: url, timeoutMs: 50 });
    expect(await connection.send(builder.build('GET', '/hang'))).toMatchObject({ status: 0, error: 'timeout' });
    expect(await connection.send(builder.build('GET', '/'))).toMatchObject({ status: 200 });
    connection.close();
  });

  it('completes a request in flight with reason interrupted when closed', async () => {
    const { url } = await serve(() => {});
    const connection = new HttpConnection({ baseUrl: url });
    const pending = connection.send(new RequestBuilder({ baseUrl: url }).build('GET', '/'));
    connection.close();
    expect(await pending).toMatchObject({ status: 0, error: 'interrupted' });
  });

  it('refuses header values with line breaks', () => {
    expect(() => new RequestBuilder({ baseUrl: 'http://127.0.0.1:1', headers: { a: 'x\r\ninjected: y' } })).toThrow(/line break/);
  });
});
