import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DbError } from './errors.js';
import { createSupabaseDb } from './supabase.js';

// A local HTTP server plays PostgREST, so these tests see exactly what the
// adapter puts on the wire and how it reads what comes back.

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const KEY = 'service-role-key-for-tests';
const PROJECT = '7d1c9f5e-2b1a-4f0e-9a57-0c3f1c1e2d3a';

let server: Server;
let baseUrl: string;
let requests: Recorded[] = [];
let reply: (res: ServerResponse) => void = (res) => res.end();

function text(status: number, contentType: string, body: string): (res: ServerResponse) => void {
  return (res) => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(body);
  };
}

const json = (status: number, body: unknown) => text(status, 'application/json; charset=utf-8', JSON.stringify(body));

function db(options: { timeoutMs?: number; fetch?: typeof fetch; url?: string } = {}) {
  return createSupabaseDb({ url: options.url ?? baseUrl, serviceRoleKey: KEY, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<DbError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DbError);
  return error as DbError;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      // No keep-alive: a socket pooled by one test must not be cut by the next.
      res.shouldKeepAlive = false;
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  requests = [];
  reply = (res) => res.end();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createSupabaseDb', () => {
  it('calls a function as POST /rest/v1/rpc/<name> with the key headers and the named arguments as the JSON body', async () => {
    const row = { expert_id: 'planner', version: 2, usage_count: 7 };
    reply = json(200, [row]);
    const args = { p_project_id: PROJECT, p_expert_id: 'planner' };

    const rows = await db().rpc('increment_expert_usage', args);

    expect(rows).toEqual([row]);
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/rest/v1/rpc/increment_expert_usage');
    expect(sent?.headers['apikey']).toBe(KEY);
    expect(sent?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.headers['content-profile']).toBe('public');
    expect(sent?.headers['accept-profile']).toBeUndefined();
    expect(JSON.parse(sent?.body ?? '')).toEqual(args);
  });

  it('sends an empty JSON object for a function without arguments', async () => {
    reply = json(200, []);

    await db().rpc('list_projects', {});

    expect(requests[0]?.url).toBe('/rest/v1/rpc/list_projects');
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({});
  });

  it('returns the rows exactly as PostgREST renders them, and an empty array for no rows', async () => {
    const report = {
      id: 'b0f7e0a4-5d7c-4b59-8a39-2f0b7c6d9e11',
      kind: 'health',
      health_score: 0.93,
      overall_health: 'healthy',
      severity: 'info',
      title: 'All good',
      data: { nested: [1, 'two', null] },
      resolved_at: null,
      created_at: '2025-01-02T03:04:05.678+00:00',
    };
    reply = json(200, [report]);
    const args = { p_project_id: PROJECT, p_limit: 10, p_before_created_at: null, p_before_id: null };
    expect(await db().rpc('list_reports', args)).toEqual([report]);

    reply = json(200, []);
    expect(await db().rpc('list_reports', args)).toEqual([]);
  });

  it('sends requests through the injected fetch', async () => {
    reply = json(200, []);
    const seen: string[] = [];
    const spyFetch: typeof fetch = (input, init) => {
      seen.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    };

    await db({ fetch: spyFetch }).rpc('get_project', { p_project_id: PROJECT });

    expect(seen).toEqual([`${baseUrl}/rest/v1/rpc/get_project`]);
  });

  it('rejects an invalid input with the SQLSTATE PostgREST relays (400, 22P02)', async () => {
    reply = json(400, {
      code: '22P02',
      details: null,
      hint: null,
      message: 'invalid input syntax for type uuid: "nope"',
    });

    const error = await rejection(db().rpc('get_project', { p_project_id: 'nope' }));

    expect(error.fn).toBe('get_project');
    expect(error.sqlState).toBe('22P02');
    expect(error.message).toBe('invalid input syntax for type uuid: "nope"');
    expect(error.unavailable).toBe(false);
  });

  it('keeps PostgREST\'s own code when the function does not exist (404, PGRST202)', async () => {
    reply = json(404, {
      code: 'PGRST202',
      details: 'Searched for the function public.get_project with parameter p_project_id',
      hint: 'Perhaps you meant to call the function public.get_projects',
      message: 'Could not find the function public.get_project(p_project_id) in the schema cache',
    });

    const error = await rejection(db().rpc('get_project', { p_project_id: PROJECT }));

    expect(error.sqlState).toBe('PGRST202');
    expect(error.message).toContain('Could not find the function public.get_project');
    expect(error.cause).toMatchObject({ hint: 'Perhaps you meant to call the function public.get_projects' });
  });

  it('rejects a unique violation with 23505 and keeps the details in the cause (409)', async () => {
    reply = json(409, {
      code: '23505',
      details: 'Key (project_id, prefix)=(x, iris_ab) already exists.',
      hint: null,
      message: 'duplicate key value violates unique constraint "api_keys_prefix_key"',
    });

    const error = await rejection(
      db().rpc('create_api_key', { p_project_id: PROJECT, p_key_hash: 'h', p_prefix: 'iris_ab', p_label: null }),
    );

    expect(error.sqlState).toBe('23505');
    expect(error.cause).toMatchObject({ details: 'Key (project_id, prefix)=(x, iris_ab) already exists.' });
  });

  it('rejects a server error with the SQLSTATE in its body (500)', async () => {
    reply = json(500, { code: 'XX000', details: null, hint: null, message: 'internal error' });

    const error = await rejection(db().rpc('list_projects', {}));

    expect(error.sqlState).toBe('XX000');
    expect(error.unavailable).toBe(false);
  });

  it('names the HTTP status when an answer carries no code (500 with a plain-text body)', async () => {
    reply = text(500, 'text/plain', 'upstream exploded');

    const error = await rejection(db().rpc('list_projects', {}));

    expect(error.sqlState).toBe('http_500');
    expect(error.message).toContain('upstream exploded');
  });

  it('treats a gateway 503 without a code as the database being unavailable', async () => {
    reply = text(503, 'text/html', '<html>Service Unavailable</html>');

    const error = await rejection(db().rpc('list_projects', {}));

    expect(error.sqlState).toBe('connection');
    expect(error.unavailable).toBe(true);
  });

  it('rejects with sqlState connection when nothing listens on the port', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const error = await rejection(db({ url: `http://127.0.0.1:${port}` }).rpc('list_projects', {}));

    expect(error.sqlState).toBe('connection');
    expect(error.unavailable).toBe(true);
    expect(error.mayHaveCommitted).toBe(false);
    expect(JSON.stringify(error.cause)).toContain('ECONNREFUSED');
  });

  it('says whether a gateway error may hide a committed call: not after a 503, maybe after a 502 or 504', async () => {
    for (const [status, mayHaveCommitted] of [
      [503, false],
      [502, true],
      [504, true],
    ] as const) {
      reply = text(status, 'text/html', '<html>gateway</html>');
      const error = await rejection(db().rpc('ingest_runs', { p_project_id: PROJECT, p_runs: [] }));
      expect(error.unavailable, String(status)).toBe(true);
      expect(error.mayHaveCommitted, String(status)).toBe(mayHaveCommitted);
    }
  });

  it('aborts the request when the call is aborted, and says the call may have committed', async () => {
    const hanging: ServerResponse[] = [];
    reply = (res) => hanging.push(res);
    const controller = new AbortController();

    const call = rejection(db().rpc('ingest_runs', { p_project_id: PROJECT, p_runs: [] }, { signal: controller.signal }));
    while (hanging.length === 0) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const error = await call;
    for (const res of hanging) res.destroy();

    expect(error).toMatchObject({ sqlState: 'timeout', unavailable: true, mayHaveCommitted: true });
  });

  it('rejects with sqlState timeout when PostgREST does not answer within timeoutMs', async () => {
    const hanging: ServerResponse[] = [];
    reply = (res) => hanging.push(res);

    const error = await rejection(db({ timeoutMs: 50 }).rpc('list_projects', {}));
    for (const res of hanging) res.destroy();

    expect(error.sqlState).toBe('timeout');
    expect(error.unavailable).toBe(true);
  });

  it('can be closed twice and refuses calls afterwards without sending them', async () => {
    const instance = db();
    await instance.close();
    await instance.close();

    const error = await rejection(instance.rpc('list_projects', {}));

    expect(error.sqlState).toBe('connection');
    expect(requests).toHaveLength(0);
  });

  it('names the option when the configuration is invalid', () => {
    expect(() => createSupabaseDb({ url: 'abcd.supabase.co', serviceRoleKey: KEY })).toThrow(/SupabaseDbOptions\.url/);
    expect(() => createSupabaseDb({ url: baseUrl, serviceRoleKey: '' })).toThrow(/SupabaseDbOptions\.serviceRoleKey/);
    expect(() => createSupabaseDb({ url: baseUrl, serviceRoleKey: KEY, timeoutMs: 0 })).toThrow(
      /SupabaseDbOptions\.timeoutMs/,
    );
  });

  it('reports its kind as supabase', () => {
    expect(db().kind).toBe('supabase');
  });
});
