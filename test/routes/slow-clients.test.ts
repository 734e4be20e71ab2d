import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { API_DIR, createTestApp, type TestApp, type TestProject } from '../support/app.js';

/**
 * Clients that go away or stall in the middle of a request, over real
 * sockets to the local server (issue 11): an aborted upload is the client's
 * doing, so it is neither logged as an error nor counted as a 5xx; a body or
 * headers that trickle in are cut off by the server's request timeouts
 * instead of holding the socket for Node's default 300 s.
 */
const REQUEST_TIMEOUT_MS = 600;
const HEADERS_TIMEOUT_MS = 300;

let app: TestApp;
let project: TestProject;
let server: LocalServer;

beforeAll(async () => {
  app = await createTestApp();
  project = await app.createProject('slow clients');
  server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: HEADERS_TIMEOUT_MS });
});
afterAll(() => server.close());

/** Opens a socket and writes `head`; resolves with the socket and what it will have received once closed. */
async function openWith(head: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port: server.port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  socket.on('error', () => undefined);
  socket.write(head);
  return { socket, closed };
}

const ingestHead = (length: number) =>
  `POST /api/iris/runs HTTP/1.1\r\nHost: iris.test\r\nAuthorization: Bearer ${project.key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

/** `http_requests_total` of POST /api/iris/runs by status, from the instance's registry. */
function ingestStatuses(): Record<string, number> {
  const out: Record<string, number> = {};
  const metric = app.services.metrics.registry.snapshot().metrics.find((m) => m.name === 'http_requests_total');
  if (metric?.type !== 'counter') return out;
  const at = (name: string) => metric.labelNames.indexOf(name);
  for (const series of metric.series) {
    if (series.labels[at('route')] === '/api/iris/runs' && series.labels[at('method')] === 'POST') out[series.labels[at('status')]!] = series.value;
  }
  return out;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!check()) throw new Error(`gave up waiting for ${what}`);
}

describe('clients that abort or stall', () => {
  it('does not log an aborted upload as an error or count it as a 5xx', async () => {
    const before = ingestStatuses();
    const logged = app.logs.length;
    const { socket, closed } = await openWith(`${ingestHead(4_000)}[{"expertId":"planner","model":`);
    // Let the route start reading the body, then go away mid-upload.
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await closed;
    await until(() => (ingestStatuses()['400'] ?? 0) > (before['400'] ?? 0), 'the aborted request to be answered');
    const after = ingestStatuses();
    expect(Object.keys(after).filter((status) => status.startsWith('5'))).toEqual(Object.keys(before).filter((status) => status.startsWith('5')));
    const lines = app.logs.slice(logged).map((line) => JSON.parse(line) as { level: string });
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('closes a connection whose body trickles in, with a 408, instead of holding it for minutes', async () => {
    const before = ingestStatuses();
    const { socket, closed } = await openWith(`${ingestHead(4_000)}[{"expertId":`);
    // One more byte now and then: never the whole body.
    const trickle = setInterval(() => socket.write(' '), 100);
    try {
      const received = await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(trickle);
    }
    // The route that was reading the body saw a failed stream: a 4xx, never a 5xx.
    await until(() => (ingestStatuses()['400'] ?? 0) > (before['400'] ?? 0), 'the stalled request to be answered');
    expect(Object.keys(ingestStatuses()).filter((status) => status.startsWith('5'))).toEqual([]);
  });

  it('closes a connection whose headers never end, with a 408', async () => {
    const { closed } = await openWith('GET /api/health HTTP/1.1\r\nHost: iris.test\r\nX-Slow: ');
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('still serves a client that sends its request in time', async () => {
    const res = await fetch(`${server.url}/api/iris/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expertId: 'planner', model: 'gpt-4o-mini', latencyMs: 10, outcome: 'success' }),
    });
    expect(res.status).toBe(201);
  });
});
