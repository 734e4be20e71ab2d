/**
 * The POST routes that take no input (expert usage, key revoke and rotate)
 * accept no body however the client frames it, and still hold a body with
 * bytes in it to the JSON rules. Checked through app.request() and through
 * the real local server on a socket, where a Node server hands the route an
 * (empty) body stream for a request with no Content-Length at all: the case
 * that answered 415 to README's `curl -X POST` examples (issue 10).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { ADMIN_TOKEN, API_DIR, createTestApp, rowCounts, type TestApp, type TestProject } from '../support/app.js';
import { rawRequest, type RawRequestOptions } from '../support/raw-http.js';

let app: TestApp;
let server: LocalServer;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp();
  server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
  project = await app.createProject('Bodyless posts');
  const expert = await app.request('/api/iris/experts', {
    method: 'POST',
    key: project.key,
    json: { expertId: 'planner', version: 1, signature: 'plan', active: true, performance: {} },
  });
  expect(expert.status).toBe(201);
});
// Closing the server closes the app's services too.
afterAll(() => server.close());

/** A key of its own for each revoke or rotate, so every call acts on an active key. */
async function freshKeyId(): Promise<string> {
  const res = await app.request('/api/admin/api-keys', { method: 'POST', key: ADMIN_TOKEN, json: { projectId: project.id } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

interface BodylessRoute {
  name: string;
  path: () => Promise<string>;
  token: () => string;
  status: number;
}

const ROUTES: BodylessRoute[] = [
  { name: 'expert usage', path: async () => '/api/iris/experts/planner/usage', token: () => project.key, status: 200 },
  { name: 'key revoke', path: async () => `/api/admin/api-keys/${await freshKeyId()}/revoke`, token: () => ADMIN_TOKEN, status: 200 },
  { name: 'key rotate', path: async () => `/api/admin/api-keys/${await freshKeyId()}/rotate`, token: () => ADMIN_TOKEN, status: 201 },
];

/** What curl writes for `curl -H "Authorization: Bearer $KEY" -X POST $URL`: no Content-Length, no Content-Type. */
const curlHeaders = (token: string) => [`Authorization: Bearer ${token}`, 'User-Agent: curl/7.88.1', 'Accept: */*'];

const socketPost = async (route: BodylessRoute, extra: Pick<RawRequestOptions, 'headers' | 'body'>) =>
  rawRequest(server.url, {
    method: 'POST',
    path: await route.path(),
    headers: [...curlHeaders(route.token()), ...(extra.headers ?? [])],
    body: extra.body,
  });

const emptyStream = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array(0));
      controller.close();
    },
  });

describe.each(ROUTES)('POST $name', (route) => {
  it('accepts a bare POST over a socket, framed as curl frames it (no Content-Length, no Content-Type)', async () => {
    const res = await socketPost(route, {});
    expect(res.status, res.body ?? '').toBe(route.status);
  });

  it('accepts an empty chunked body over a socket', async () => {
    const res = await socketPost(route, { headers: ['Transfer-Encoding: chunked'], body: '0\r\n\r\n' });
    expect(res.status, res.body ?? '').toBe(route.status);
  });

  it('accepts Content-Length: 0 over a socket, whatever Content-Type says', async () => {
    const res = await socketPost(route, { headers: ['Content-Length: 0', 'Content-Type: application/x-www-form-urlencoded'] });
    expect(res.status, res.body ?? '').toBe(route.status);
  });

  it('accepts an empty body through app.request(), with or without a body stream', async () => {
    // fetch labels an empty string body text/plain; an empty stream has no type and no length.
    for (const body of [undefined, '', emptyStream()]) {
      const init = { method: 'POST', key: route.token(), body, duplex: 'half' } as RequestInit & { key: string };
      const res = await app.request(await route.path(), init);
      expect(res.status, await res.clone().text()).toBe(route.status);
    }
  });

  it('accepts an empty JSON object sent as JSON', async () => {
    const res = await socketPost(route, { headers: ['Content-Type: application/json', 'Content-Length: 2'], body: '{}' });
    expect(res.status, res.body ?? '').toBe(route.status);
  });

  it('refuses a body with bytes in it that is not valid JSON for the route, and changes nothing', async () => {
    const refused: [Pick<RawRequestOptions, 'headers' | 'body'>, number, string][] = [
      [{ headers: ['Content-Length: 2'], body: '{}' }, 415, 'unsupported_media_type'],
      [{ headers: ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], body: '2\r\n{}\r\n0\r\n\r\n' }, 415, 'unsupported_media_type'],
      [{ headers: ['Content-Type: application/json', 'Content-Length: 4'], body: 'nope' }, 400, 'malformed_json'],
      [{ headers: ['Content-Type: application/json', 'Transfer-Encoding: chunked'], body: '1\r\n{\r\n0\r\n\r\n' }, 400, 'malformed_json'],
      [{ headers: ['Content-Type: application/json', 'Content-Length: 10'], body: '{"extra":1' }, 400, 'malformed_json'],
      [{ headers: ['Content-Type: application/json', 'Content-Length: 11'], body: '{"extra":1}' }, 422, 'validation_failed'],
      [{ headers: ['Content-Type: application/json', 'Content-Length: 2000000'], body: '' }, 413, 'payload_too_large'],
    ];
    for (const [request, status, code] of refused) {
      // A refused request must not revoke or rotate its key, nor count a use.
      const path = await route.path();
      const before = await rowCounts(app.db);
      const res = await rawRequest(server.url, { method: 'POST', path, headers: [...curlHeaders(route.token()), ...(request.headers ?? [])], body: request.body });
      expect(res.status, `${JSON.stringify(request)}: ${res.body ?? ''}`).toBe(status);
      expect((JSON.parse(res.body ?? 'null') as { error: { code: string } }).error.code).toBe(code);
      expect(await rowCounts(app.db)).toEqual(before);
    }
  });
});
