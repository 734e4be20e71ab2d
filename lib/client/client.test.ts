import { describe, expect, it } from 'vitest';
import { createIrisClient, irisPath } from './index.js';

describe('irisPath', () => {
  it('fills path parameters encoded and appends the query', () => {
    expect(irisPath('/api/iris/experts/{expertId}/usage', 'post', { params: { expertId: 'a/b c' } })).toBe('/api/iris/experts/a%2Fb%20c/usage');
    expect(irisPath('/api/iris/stats/breakdown', 'get', { query: { by: 'agent', limit: 5 } })).toBe('/api/iris/stats/breakdown?by=agent&limit=5');
    expect(irisPath('/api/iris/overview', 'get')).toBe('/api/iris/overview');
  });

  it('refuses at compile time a path, parameter or query the document does not have', () => {
    // @ts-expect-error: no such path
    expect(() => irisPath('/api/iris/nope', 'get')).not.toThrow();
    // @ts-expect-error: expertId is required
    expect(() => irisPath('/api/iris/experts/{expertId}/usage', 'post', { params: {} })).toThrow(/expertId is missing/);
    // @ts-expect-error: `by` is one of model, expert, agent, promptVersion
    expect(irisPath('/api/iris/stats/breakdown', 'get', { query: { by: 'planet' } })).toContain('by=planet');
  });
});

describe('createIrisClient', () => {
  it('sends the bearer token and a JSON body, and parses the JSON answer', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const client = createIrisClient({
      baseUrl: 'http://iris.test/',
      token: 'iris_sk_x',
      fetch: async (url, init) => {
        seen.push({ url: String(url), init: init ?? {} });
        return new Response(JSON.stringify({ inserted: 1, duplicates: 0 }), { status: 201, headers: { 'content-type': 'application/json' } });
      },
    });
    const { status, data } = await client.post('/api/iris/runs', { body: { expertId: 'planner', model: 'm', latencyMs: 1, outcome: 'success' } });
    expect(status).toBe(201);
    expect(data.inserted).toBe(1);
    expect(seen[0]!.url).toBe('http://iris.test/api/iris/runs');
    expect(seen[0]!.init.method).toBe('POST');
    expect(new Headers(seen[0]!.init.headers).get('authorization')).toBe('Bearer iris_sk_x');
    expect(JSON.parse(String(seen[0]!.init.body))).toMatchObject({ expertId: 'planner' });
  });
});
