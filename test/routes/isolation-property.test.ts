import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * Tenant isolation as a property: for random pairs of projects (A, B), random
 * routes and random parameters, including B's own expert ids and B's own
 * pagination cursors, nothing in A's response names or counts anything of B's,
 * and A's writes never change B's rows.
 */
interface Tenant extends TestProject {
  tag: string;
  experts: string[];
  /** Strings that only this tenant's data contains. */
  markers: string[];
  cursors: string[];
}

let app: TestApp;
const tenants: Tenant[] = [];

async function seedTenant(index: number): Promise<Tenant> {
  const tag = `t${index}x${Math.random().toString(36).slice(2, 8)}`;
  const p = await app.createProject(`Project ${tag}`, { rateLimit: { readsPerMinute: 1_000_000, writesPerMinute: 1_000_000 } });
  const experts = [`${tag}-planner`, `${tag}-coder`];
  const send = (path: string, json: unknown) => app.request(path, { method: 'POST', key: p.key, json });
  const runs = Array.from({ length: 3 + index * 4 }, (_, i) =>
    sampleRun({ expertId: experts[i % 2], model: `${tag}-model`, agentId: `${tag}-agent`, latencyMs: 100 * (index + 1) + i }),
  );
  await send('/api/iris/runs', { runs });
  for (const expertId of experts) await send('/api/iris/experts', { expertId, version: 1, signature: `${tag} signature` });
  for (let i = 0; i <= index; i++) {
    await send('/api/iris/reports', { kind: 'health', healthScore: 10 + index, overallHealth: 'degraded', severity: 'warning', title: `${tag} report ${i}` });
    await send('/api/iris/reflexions', { expertId: experts[0], kind: 'lesson', context: `${tag} context ${i}`, outcome: 'o', success: true, impactScore: 0.5 });
  }
  const cursors: string[] = [];
  for (const path of ['/api/iris/runs?limit=1', '/api/iris/reports?limit=1', '/api/iris/reflexions?limit=1']) {
    const page = (await (await app.request(path, { key: p.key })).json()) as { nextCursor: string | null };
    if (page.nextCursor) cursors.push(page.nextCursor);
  }
  return { ...p, tag, experts, markers: [tag, p.id, p.keyId], cursors };
}

async function footprint(projectId: string): Promise<Record<string, number>> {
  const [row] = await app.db.query<Record<string, number>>(
    `select
       (select count(*) from model_runs where project_id = $1)::int as runs,
       (select coalesce(sum(usage_count), 0) from expert_signatures where project_id = $1)::int as usage,
       (select count(*) from expert_signatures where project_id = $1)::int as experts,
       (select string_agg(signature, ',' order by expert_id, version) from expert_signatures where project_id = $1) as signatures,
       (select count(*) from iris_reports where project_id = $1)::int as reports,
       (select count(*) from reflexions where project_id = $1)::int as reflexions`,
    [projectId],
  );
  return row!;
}

beforeAll(async () => {
  app = await createTestApp();
  for (let i = 0; i < 4; i++) tenants.push(await seedTenant(i));
}, 60_000);
afterAll(() => app.close());

const pair = fc
  .tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 }))
  .filter(([x, y]) => x !== y)
  .map(([x, y]) => ({ a: () => tenants[x]!, b: () => tenants[y]! }));

/** A read of A's, with parameters drawn partly from B's data. */
const read = fc.record({
  route: fc.constantFrom('overview', 'tokens', 'performance', 'timeseries', 'breakdown', 'experts', 'reports', 'reflexions', 'runs'),
  grouping: fc.constantFrom('model', 'expert', 'agent', 'promptVersion'),
  limit: fc.integer({ min: 1, max: 100 }),
  daysBack: fc.integer({ min: 1, max: 90 }),
  active: fc.boolean(),
  useForeignExpert: fc.boolean(),
  useForeignCursor: fc.boolean(),
  pick: fc.nat(),
});

type ReadCase = typeof read extends fc.Arbitrary<infer T> ? T : never;

function readPath(r: ReadCase, b: Tenant): string {
  const cursor = r.useForeignCursor && b.cursors.length > 0 ? `&cursor=${b.cursors[r.pick % b.cursors.length]}` : '';
  const from = new Date(Date.now() - r.daysBack * 86_400_000).toISOString();
  switch (r.route) {
    case 'overview':
      return '/api/iris/overview';
    case 'tokens':
      return `/api/iris/stats/tokens?from=${from}`;
    case 'performance':
      return `/api/iris/stats/performance?from=${from}`;
    case 'timeseries':
      return `/api/iris/stats/timeseries?from=${from}&interval=day&groupBy=${r.grouping}&metric=runs`;
    case 'breakdown':
      return `/api/iris/stats/breakdown?from=${from}&by=${r.grouping}&limit=${r.limit}`;
    case 'experts':
      return `/api/iris/experts?active=${r.active}`;
    case 'reports':
      return `/api/iris/reports?limit=${r.limit}${cursor}`;
    case 'reflexions': {
      const expert = r.useForeignExpert ? `&expertId=${b.experts[r.pick % b.experts.length]}` : '';
      return `/api/iris/reflexions?limit=${r.limit}${expert}${cursor}`;
    }
    default:
      return `/api/iris/runs?limit=${r.limit}${cursor}`;
  }
}

describe('tenant isolation (property)', () => {
  it('never shows project B anything in a response to key A', async () => {
    await fc.assert(
      fc.asyncProperty(pair, read, async ({ a, b }, r) => {
        const path = readPath(r, b());
        const res = await app.request(path, { key: a().key });
        expect(res.status, path).toBe(200);
        const text = await res.text();
        for (const marker of b().markers) expect(text.includes(marker), `${path} leaks ${marker}`).toBe(false);
        if (r.route === 'overview') {
          const own = (await (await app.request(path, { key: a().key })).json()) as { projectId: string };
          expect(own.projectId).toBe(a().id);
        }
      }),
      { numRuns: 300, seed: 424242 },
    );
  });

  it('never changes project B when key A writes, even naming B’s experts', async () => {
    const write = fc.record({
      kind: fc.constantFrom('run', 'usage', 'expert', 'report', 'reflexion'),
      pick: fc.nat(),
      version: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(pair, write, async ({ a, b }, w) => {
        const before = await footprint(b().id);
        const foreignExpert = b().experts[w.pick % b().experts.length]!;
        const send = (path: string, json?: unknown) => app.request(path, { method: 'POST', key: a().key, ...(json === undefined ? {} : { json }) });
        const res =
          w.kind === 'run'
            ? await send('/api/iris/runs', sampleRun({ expertId: foreignExpert, model: `${b().tag}-model` }))
            : w.kind === 'usage'
              ? await send(`/api/iris/experts/${foreignExpert}/usage`)
              : w.kind === 'expert'
                ? await send('/api/iris/experts', { expertId: foreignExpert, version: w.version, signature: 'overwritten?' })
                : w.kind === 'report'
                  ? await send('/api/iris/reports', { kind: 'health', healthScore: 1, overallHealth: 'critical', severity: 'critical', title: 'x' })
                  : await send('/api/iris/reflexions', { expertId: foreignExpert, kind: 'k', context: 'c', outcome: 'o', success: false, impactScore: 1 });
        // Usage of an expert A does not have is a 404; everything else lands in A.
        expect([200, 201, 404]).toContain(res.status);
        expect(await footprint(b().id)).toEqual(before);
      }),
      { numRuns: 150, seed: 777 },
    );
  });
});
