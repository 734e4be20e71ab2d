import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

let app: TestApp;
let project: TestProject;

beforeAll(async () => {
  app = await createTestApp();
  project = await app.createProject('Acme agents');
});
afterAll(() => app.close());

async function json(res: Response) {
  return (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string; requestId: string; details?: unknown } };
}

describe('every response', () => {
  it('carries a request id, security headers and the one error shape', async () => {
    const res = await app.request('/api/iris/overview');
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body.error?.code).toBe('unauthorized');
    expect(body.error?.requestId).toBe(res.headers.get('x-request-id'));
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('echoes a well-formed X-Request-Id and replaces a hostile one', async () => {
    const ok = await app.request('/api/health', { headers: { 'x-request-id': 'trace-12345678' } });
    expect(ok.headers.get('x-request-id')).toBe('trace-12345678');
    const bad = await app.request('/api/health', { headers: { 'x-request-id': 'x<script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.request('/api/iris/nothing-here');
    expect(res.status).toBe(404);
    expect((await json(res)).error?.code).toBe('not_found');
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const res = await app.request('/api/iris/overview', { method: 'DELETE', key: project.key });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await json(res)).error?.code).toBe('method_not_allowed');
  });

  it('answers OPTIONS with the allowed methods and no CORS headers unless origins are configured', async () => {
    const res = await app.request('/api/iris/reports', { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('GET /api/health', () => {
  it('reports liveness without credentials', async () => {
    const res = await app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'ok', version: expect.any(String), uptimeS: expect.any(Number) });
  });
});

describe('authentication', () => {
  it('rejects malformed, unknown and revoked keys with 401', async () => {
    expect((await app.request('/api/iris/overview', { key: 'nope' })).status).toBe(401);
    expect((await app.request('/api/iris/overview', { key: `iris_sk_${'A'.repeat(43)}` })).status).toBe(401);
    const other = await app.createProject('Revoked soon');
    expect((await app.request('/api/iris/overview', { key: other.key })).status).toBe(200);
    const revoke = await app.request(`/api/admin/api-keys/${other.keyId}/revoke`, { method: 'POST', key: ADMIN_TOKEN });
    expect(revoke.status).toBe(200);
    expect((await app.request('/api/iris/overview', { key: other.key })).status).toBe(401);
  });

  it('marks authenticated responses private and varying by Authorization', async () => {
    const res = await app.request('/api/iris/overview', { key: project.key });
    expect(res.status).toBe(200);
    const cc = res.headers.get('cache-control') ?? '';
    expect(cc).toContain('private');
    expect(cc).not.toMatch(/s-maxage|public/);
    expect(res.headers.get('vary')).toMatch(/Authorization/i);
    expect(res.headers.get('cdn-cache-control')).toBeNull();
  });

  it('refuses a projectId that is not the key’s project with 403', async () => {
    const res = await app.request('/api/iris/overview?projectId=00000000-0000-4000-8000-000000000000', { key: project.key });
    expect(res.status).toBe(403);
    expect((await json(res)).error?.code).toBe('project_mismatch');
    const own = await app.request(`/api/iris/overview?projectId=${project.id}`, { key: project.key });
    expect(own.status).toBe(200);
  });
});

describe('POST /api/iris/runs', () => {
  it('stores one run and a batch, and the overview counts them', async () => {
    const p = await app.createProject('Ingest');
    const one = await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun() });
    expect(one.status).toBe(201);
    expect(await json(one)).toEqual({ inserted: 1, duplicates: 0 });
    const runs = Array.from({ length: 9 }, (_, i) => sampleRun({ latencyMs: 100 * (i + 1), outcome: i < 3 ? 'failure' : 'success' }));
    const batch = await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: { runs } });
    expect(await json(batch)).toEqual({ inserted: 9, duplicates: 0 });
    const arr = await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: [sampleRun()] });
    expect(await json(arr)).toEqual({ inserted: 1, duplicates: 0 });

    const overview = await json(await app.request('/api/iris/overview', { key: p.key }));
    expect(overview).toMatchObject({ projectId: p.id, runs24h: 11, runsToday: expect.any(Number) });
    expect(overview.successRate24h).toBeCloseTo(8 / 11, 5);
    expect(overview.inputTokens24h).toBe(8800);
  });

  it('stores a batch whole or not at all', async () => {
    const p = await app.createProject('Atomic');
    const runs = [sampleRun(), sampleRun(), sampleRun({ outcome: 'exploded' })];
    const res = await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: { runs } });
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error?.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'runs.2.outcome' })]));
    const list = await json(await app.request('/api/iris/runs', { key: p.key }));
    expect(list.data).toEqual([]);
  });

  it('rejects batches over 1,000 runs, future timestamps and wrong content types', async () => {
    const big = Array.from({ length: 1001 }, () => sampleRun());
    expect((await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: big })).status).toBe(422);
    const future = sampleRun({ createdAt: new Date(Date.now() + 3600_000).toISOString() });
    expect((await app.request('/api/iris/runs', { method: 'POST', key: project.key, json: future })).status).toBe(422);
    const text = await app.request('/api/iris/runs', { method: 'POST', key: project.key, body: 'hi', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const malformed = await app.request('/api/iris/runs', { method: 'POST', key: project.key, body: '{"x":', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
  });

  it('answers 413 for a body over 1 MiB', async () => {
    const res = await app.request('/api/iris/runs', {
      method: 'POST',
      key: project.key,
      body: JSON.stringify({ runs: [sampleRun({ metadata: { pad: 'x'.repeat(1_100_000) } })] }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
  });
});

describe('free-form JSON in bodies (metadata, report data, expert performance)', () => {
  it('counts the size limit in UTF-8 bytes: 16 KiB of emoji is refused, 16,384 bytes are stored as sent', async () => {
    const p = await app.createProject('Metadata bytes');
    const over = await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun({ metadata: { e: '💥'.repeat(4_095) } }) });
    expect(over.status).toBe(422);
    expect((await json(over)).error?.details).toEqual([expect.objectContaining({ path: 'metadata' })]);
    const fits = { e: '💥'.repeat(4_094) };
    expect((await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: sampleRun({ metadata: fits }) })).status).toBe(201);
    const list = (await json(await app.request('/api/iris/runs', { key: p.key }))) as { data: { metadata: unknown }[] };
    expect(list.data.map((r) => r.metadata)).toEqual([fits]);
  });

  it('refuses __proto__ and constructor keys with a 422 naming the key, and stores nothing', async () => {
    const p = await app.createProject('Prototype keys');
    const send = (path: string, text: string) => app.request(path, { method: 'POST', key: p.key, body: text, headers: { 'content-type': 'application/json' } });
    const run = JSON.stringify(sampleRun()).replace(/}$/, ',"metadata":{"ok":1,"__proto__":{"isAdmin":true}}}');
    const cases: [string, string, string][] = [
      ['/api/iris/runs', run, 'metadata.__proto__'],
      ['/api/iris/reports', '{"kind":"k","healthScore":1,"overallHealth":"healthy","severity":"info","title":"t","data":{"a":[{"constructor":{}}]}}', 'data.a.0.constructor'],
      ['/api/iris/experts', '{"expertId":"e","version":1,"signature":"s","performance":{"__proto__":null}}', 'performance.__proto__'],
    ];
    for (const [path, text, issuePath] of cases) {
      const res = await send(path, text);
      expect(res.status, path).toBe(422);
      expect((await json(res)).error?.details, path).toEqual([expect.objectContaining({ path: issuePath, message: expect.stringContaining('is not accepted') })]);
    }
    const [row] = await app.db.query<{ n: number }>(
      'select (select count(*) from model_runs where project_id = $1) + (select count(*) from iris_reports where project_id = $1) + (select count(*) from expert_signatures where project_id = $1) as n',
      [p.id],
    );
    expect(Number(row!.n)).toBe(0);
  });
});

describe('GET /api/iris/runs', () => {
  it('pages through runs newest first with an opaque cursor', async () => {
    const p = await app.createProject('Paging');
    const base = Date.now() - 60_000;
    const runs = Array.from({ length: 7 }, (_, i) => sampleRun({ createdAt: new Date(base + i * 1000).toISOString(), latencyMs: i }));
    await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: runs });
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = (await json(await app.request(`/api/iris/runs?limit=3${q}`, { key: p.key }))) as {
        data: { latencyMs: number }[];
        nextCursor: string | null;
      };
      seen.push(...page.data.map((r) => r.latencyMs));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
  });

  it('rejects a forged cursor and an out-of-range limit with 422', async () => {
    expect((await app.request('/api/iris/runs?cursor=abc', { key: project.key })).status).toBe(422);
    expect((await app.request('/api/iris/runs?limit=0', { key: project.key })).status).toBe(422);
    expect((await app.request('/api/iris/runs?limit=101', { key: project.key })).status).toBe(422);
    expect((await app.request('/api/iris/runs?unknown=1', { key: project.key })).status).toBe(422);
  });
});

describe('stats', () => {
  it('returns tokens and latency percentiles per model with totals', async () => {
    const p = await app.createProject('Stats');
    const runs = [
      ...Array.from({ length: 10 }, (_, i) => sampleRun({ model: 'model-a', latencyMs: (i + 1) * 10, inputTokens: 100, outputTokens: 10, costUsd: 0.5 })),
      ...Array.from({ length: 5 }, () => sampleRun({ model: 'model-b', latencyMs: 1000, inputTokens: 1, outputTokens: 1, costUsd: 1, outcome: 'failure' })),
    ];
    await app.request('/api/iris/runs', { method: 'POST', key: p.key, json: runs });

    const tokens = (await json(await app.request('/api/iris/stats/tokens', { key: p.key }))) as {
      models: { model: string; runs: number; inputTokens: number; costUsd: number }[];
      totals: { runs: number; inputTokens: number; costUsd: number };
    };
    expect(tokens.models.find((m) => m.model === 'model-a')).toMatchObject({ runs: 10, inputTokens: 1000, costUsd: 5 });
    expect(tokens.totals).toMatchObject({ runs: 15, inputTokens: 1005, costUsd: 10 });

    const perf = (await json(await app.request('/api/iris/stats/performance', { key: p.key }))) as {
      models: { model: string; successRate: number; p50LatencyMs: number; p99LatencyMs: number }[];
    };
    const a = perf.models.find((m) => m.model === 'model-a')!;
    expect(a.successRate).toBe(1);
    // The nearest-rank median of 10..100 ms is 50 ms; the rollup histogram reports it within 1%.
    expect(Math.abs(a.p50LatencyMs - 50) / 50).toBeLessThanOrEqual(0.01);
    expect(perf.models.find((m) => m.model === 'model-b')!.successRate).toBe(0);
  });

  it('validates the window', async () => {
    const bad = [
      'from=yesterday',
      'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      'from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      'from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z',
    ];
    for (const q of bad) {
      const res = await app.request(`/api/iris/stats/tokens?${q}`, { key: project.key });
      expect(res.status, q).toBe(422);
    }
  });
});

describe('experts', () => {
  it('creates signatures, lists active ones and counts usage atomically', async () => {
    const p = await app.createProject('Experts');
    const put = (version: number, active: boolean) =>
      app.request('/api/iris/experts', {
        method: 'POST',
        key: p.key,
        json: { expertId: 'researcher', version, signature: `sig v${version}`, active, performance: { winRate: 0.5 } },
      });
    expect((await put(1, false)).status).toBe(201);
    expect((await put(2, true)).status).toBe(201);
    const all = (await json(await app.request('/api/iris/experts', { key: p.key }))) as { data: unknown[] };
    expect(all.data).toHaveLength(2);
    const active = (await json(await app.request('/api/iris/experts?active=true', { key: p.key }))) as { data: { version: number }[] };
    expect(active.data.map((e) => e.version)).toEqual([2]);

    const results = await Promise.all(
      Array.from({ length: 20 }, () => app.request('/api/iris/experts/researcher/usage', { method: 'POST', key: p.key })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const after = (await json(await app.request('/api/iris/experts?active=true', { key: p.key }))) as { data: { usageCount: number }[] };
    expect(after.data[0]!.usageCount).toBe(20);
  });

  it('answers 404 for an unknown expert and 422 for a malformed id', async () => {
    expect((await app.request('/api/iris/experts/ghost/usage', { method: 'POST', key: project.key })).status).toBe(404);
    expect((await app.request('/api/iris/experts/%20bad%20/usage', { method: 'POST', key: project.key })).status).toBe(422);
  });
});

describe('reports and reflexions', () => {
  it('files a report that the overview reflects', async () => {
    const p = await app.createProject('Reports');
    const res = await app.request('/api/iris/reports', {
      method: 'POST',
      key: p.key,
      json: { kind: 'health', healthScore: 41, overallHealth: 'critical', severity: 'critical', title: 'Planner failing', data: { failing: ['planner'] } },
    });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({ healthScore: 41, overallHealth: 'critical', title: 'Planner failing' });
    const overview = await json(await app.request('/api/iris/overview', { key: p.key }));
    expect(overview).toMatchObject({ latestHealthScore: 41, overallHealth: 'critical', openCriticalReports: 1 });
    const list = (await json(await app.request('/api/iris/reports?limit=1', { key: p.key }))) as { data: unknown[]; nextCursor: null };
    expect(list.data).toHaveLength(1);
    expect(list.nextCursor).toBeNull();
  });

  it('records reflexions and filters them by expert', async () => {
    const p = await app.createProject('Reflexions');
    for (const expertId of ['a', 'b', 'a']) {
      const res = await app.request('/api/iris/reflexions', {
        method: 'POST',
        key: p.key,
        json: { expertId, kind: 'lesson', context: 'ctx', outcome: 'learned', success: true, impactScore: 0.7 },
      });
      expect(res.status).toBe(201);
    }
    const onlyA = (await json(await app.request('/api/iris/reflexions?expertId=a', { key: p.key }))) as { data: { expertId: string }[] };
    expect(onlyA.data.map((r) => r.expertId)).toEqual(['a', 'a']);
  });
});

describe('admin', () => {
  it('hides the admin surface behind the token', async () => {
    expect((await app.request('/api/admin/projects')).status).toBe(401);
    expect((await app.request('/api/admin/projects', { key: 'wrong-token-wrong-token' })).status).toBe(401);
    expect((await app.request('/api/admin/projects', { key: project.key })).status).toBe(401);
    expect((await app.request('/api/admin/projects', { key: ADMIN_TOKEN })).status).toBe(200);
  });

  it('answers 404 on every admin route when no admin token is configured', async () => {
    const bare = await createTestApp({ env: { IRIS_ADMIN_TOKEN: '' } });
    try {
      for (const path of ['/api/admin/projects', '/api/admin/api-keys?projectId=' + project.id]) {
        expect((await bare.request(path, { key: ADMIN_TOKEN })).status).toBe(404);
      }
    } finally {
      await bare.close();
    }
  });

  it('lists keys without hashes, and rotation returns a new key that works while the old one stops', async () => {
    const p = await app.createProject('Rotation');
    const list = (await json(await app.request(`/api/admin/api-keys?projectId=${p.id}`, { key: ADMIN_TOKEN }))) as {
      data: Record<string, unknown>[];
    };
    expect(list.data).toHaveLength(1);
    expect(JSON.stringify(list)).not.toMatch(/hash/i);
    expect(list.data[0]!.prefix).toBe(p.key.slice(0, 14));

    const rotated = await app.request(`/api/admin/api-keys/${p.keyId}/rotate`, { method: 'POST', key: ADMIN_TOKEN });
    expect(rotated.status).toBe(201);
    const body = (await json(rotated)) as { key: string; replaces: string };
    expect(body.replaces).toBe(p.keyId);
    expect(JSON.stringify(body)).not.toMatch(/hash/i);
    expect((await app.request('/api/iris/overview', { key: body.key })).status).toBe(200);
    expect((await app.request('/api/iris/overview', { key: p.key })).status).toBe(401);
    // Rotating a revoked key is a 404, not a second successor.
    expect((await app.request(`/api/admin/api-keys/${p.keyId}/rotate`, { method: 'POST', key: ADMIN_TOKEN })).status).toBe(404);
  });

  it('counts key usage in batches and lists it', async () => {
    const p = await app.createProject('Usage');
    for (let i = 0; i < 5; i++) await app.request('/api/iris/overview', { key: p.key });
    await app.services.keyUsage.flush();
    const list = (await json(await app.request(`/api/admin/api-keys?projectId=${p.id}`, { key: ADMIN_TOKEN }))) as {
      data: { usageCount: number; lastUsedAt: string | null }[];
    };
    expect(list.data[0]!.usageCount).toBe(5);
    expect(list.data[0]!.lastUsedAt).not.toBeNull();
  });

  it('validates admin input', async () => {
    expect((await app.request('/api/admin/projects', { method: 'POST', key: ADMIN_TOKEN, json: { name: '' } })).status).toBe(422);
    expect((await app.request('/api/admin/api-keys?projectId=nope', { key: ADMIN_TOKEN })).status).toBe(422);
    const missing = await app.request('/api/admin/api-keys', {
      method: 'POST',
      key: ADMIN_TOKEN,
      json: { projectId: '00000000-0000-4000-8000-000000000000' },
    });
    expect(missing.status).toBe(404);
    expect((await app.request('/api/admin/api-keys/not-a-uuid/revoke', { method: 'POST', key: ADMIN_TOKEN })).status).toBe(422);
  });
});

describe('logs', () => {
  it('never contain an API key or the admin token', async () => {
    const joined = app.logs.join('\n');
    expect(joined).not.toContain(project.key);
    expect(joined).not.toContain(ADMIN_TOKEN);
  });
});
