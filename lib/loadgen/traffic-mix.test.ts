import { describe, expect, it } from 'vitest';
import { ExpertParams, RunBatchSchema } from '../schemas/index.js';
import { RequestBuilder } from './http-client.js';
import { seededRandom, weightedPicker } from './random.js';
import { createRequestSource, loadTestMix, MAX_LOAD_TEST_BATCH, parseMixWeights, randomRunBatch, standardReadMix, withWeights } from './traffic-mix.js';

describe('traffic mix', () => {
  it('generates run batches of 1 to 50 runs that the ingest schema accepts', () => {
    const random = seededRandom(7);
    const sizes = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const body = JSON.parse(randomRunBatch(random)) as { runs: unknown[] };
      const parsed = RunBatchSchema.safeParse(body);
      expect(parsed.success, JSON.stringify(parsed.error?.issues.slice(0, 2))).toBe(true);
      sizes.add(body.runs.length);
    }
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(MAX_LOAD_TEST_BATCH);
  });

  it('uses only GET for reads and POST with valid paths for writes', () => {
    const random = seededRandom(3);
    for (const t of loadTestMix()) {
      const path = typeof t.path === 'string' ? t.path : t.path(random);
      expect(path.startsWith('/api/iris/')).toBe(true);
      expect(t.endpoint.startsWith(`${t.method} `)).toBe(true);
      if (t.method === 'GET') expect(t.body).toBeUndefined();
      const expert = /^\/api\/iris\/experts\/([^/]+)\/usage$/.exec(path);
      if (expert) expect(ExpertParams.safeParse({ expertId: expert[1] }).success).toBe(true);
    }
    expect(standardReadMix().map((t) => `${t.method} ${t.path}`)).toEqual([
      'GET /api/iris/overview',
      'GET /api/iris/stats/tokens',
      'GET /api/iris/stats/performance',
      'GET /api/iris/experts?active=true',
      'GET /api/iris/reports?limit=20',
    ]);
  });

  it('draws requests in proportion to their weights', () => {
    const mix = withWeights(standardReadMix(), parseMixWeights('overview=3,tokens=1,performance=0,experts=0,reports=0'));
    const next = createRequestSource(mix, new RequestBuilder({ baseUrl: 'http://127.0.0.1:1' }), seededRandom(1));
    const seen: Record<string, number> = {};
    for (let i = 0; i < 4000; i++) {
      const { template } = next();
      seen[template.id] = (seen[template.id] ?? 0) + 1;
    }
    expect(Object.keys(seen).sort()).toEqual(['overview', 'tokens']);
    expect(seen.overview! / 4000).toBeGreaterThan(0.7);
    expect(seen.overview! / 4000).toBeLessThan(0.8);
  });

  it('serialises POST bodies with a matching Content-Length', () => {
    const next = createRequestSource(withWeights(loadTestMix(), parseMixWeights(loadTestMix().map((t) => `${t.id}=${t.id === 'runs-ingest' ? 1 : 0}`).join(','))), new RequestBuilder({ baseUrl: 'http://127.0.0.1:1' }), seededRandom(2));
    const { request } = next();
    const text = request.bytes.toString('utf8');
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toMatch(/^POST \/api\/iris\/runs HTTP\/1\.1\r\n/);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body!)}`);
    expect(RunBatchSchema.safeParse(JSON.parse(body!)).success).toBe(true);
  });

  it('names unknown or malformed --mix entries', () => {
    expect(() => parseMixWeights('overview')).toThrow(/id=weight/);
    expect(() => withWeights(standardReadMix(), { nope: 1 })).toThrow(/unknown request "nope"/);
    expect(() => withWeights(standardReadMix(), parseMixWeights('overview=0,tokens=0,performance=0,experts=0,reports=0'))).toThrow(/every weight is 0/);
  });
});

describe('weightedPicker', () => {
  it('never picks an item of weight 0', () => {
    const pick = weightedPicker(['a', 'b', 'c'], [1, 1, 0]);
    const random = seededRandom(9);
    for (let i = 0; i < 1000; i++) expect(pick(random)).not.toBe('c');
    expect(pick(() => 0.9999999999)).toBe('b');
  });

  it('rejects weights that cannot be drawn from', () => {
    expect(() => weightedPicker(['a'], [0])).toThrow(/positive/);
    expect(() => weightedPicker(['a'], [-1])).toThrow(/>= 0/);
  });
});
