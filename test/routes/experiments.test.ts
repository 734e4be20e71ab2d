import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignVariant } from '../../lib/experiments/index.js';
import { createMemoryKv } from '../../lib/kv/index.js';
import { createTestApp, rowCounts, sampleRun, type TestApp, type TestProject } from '../support/app.js';

/**
 * Experiments through the real api/ modules on PGlite: creation over prompt
 * versions, deterministic weighted assignment served from the cached
 * definition, results read from the rollups in the experiment's window and
 * judged by the sequential test, the sample-ratio check, and completion that
 * moves a label to the winner in the same write.
 */
let app: TestApp;
let p: TestProject;

interface Assignment {
  experiment: string;
  variant: string;
  inExperiment: boolean;
  promptVersion: string;
  prompt: { name: string; version: number; template: string } | null;
  payload: Record<string, unknown> | null;
}
interface Results {
  status: string;
  window: { from: string; to: string } | null;
  variants: { name: string; runs: number; successRate: { rate: number | null }; meanLatencyMs: { mean: number | null } }[];
  sampleRatio: { mismatch: boolean; pValue: number };
  comparisons: {
    variant: string;
    primary: { metric: string; fixedHorizon: { pValue: number }; sequential: { pValue: number; interval: { lower: number; upper: number } | null } };
    guardrails: { metric: string }[];
    verdict: { verdict: string; reason: string };
  }[];
}

const send = (method: string, path: string, json?: unknown, project = p) =>
  app.request(path, { method, key: project.key, ...(json === undefined ? {} : { json }) });
const read = async <T>(path: string, project = p) => (await (await app.request(path, { key: project.key })).json()) as T;

async function promptWithTwoVersions(name: string) {
  expect((await send('POST', '/api/iris/prompts', { name, template: 'v1 {{q}}', status: 'active', labels: ['production'] })).status).toBe(201);
  expect((await send('POST', `/api/iris/prompts/${name}/versions`, { template: 'v2 {{q}}', status: 'testing' })).status).toBe(201);
}

async function createExperiment(key: string, prompt: string, extra: Record<string, unknown> = {}) {
  const res = await send('POST', '/api/iris/experiments', {
    key,
    name: `Experiment ${key}`,
    variants: [
      { name: 'control', weight: 1, prompt: { name: prompt, version: 1 } },
      { name: 'treatment', weight: 1, prompt: { name: prompt, version: 2 } },
    ],
    primaryMetric: 'success_rate',
    guardrailMetrics: ['mean_latency', 'mean_cost'],
    status: 'running',
    ...extra,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json() as Promise<{ key: string; salt: string; variants: { name: string; runTag: string }[]; startedAt: string }>;
}

/** Ingests `n` runs tagged `tag`, `successes` of them successful. */
async function ingest(tag: string, n: number, successes: number, overrides: Record<string, unknown> = {}) {
  for (let start = 0; start < n; start += 1000) {
    const runs = Array.from({ length: Math.min(1000, n - start) }, (_, i) =>
      sampleRun({ promptVersion: tag, outcome: start + i < successes ? 'success' : 'failure', latencyMs: 400 + ((start + i) % 7) * 10, ...overrides }),
    );
    const res = await send('POST', '/api/iris/runs', { runs });
    expect(res.status).toBe(201);
  }
}

beforeAll(async () => {
  app = await createTestApp();
  p = await app.createProject('Experiments', { rateLimit: { readsPerMinute: 1_000_000, writesPerMinute: 1_000_000 } });
});
afterAll(() => app.close());

describe('POST /api/iris/experiments', () => {
  it('creates a running experiment whose prompt variants carry their version and run tag', async () => {
    await promptWithTwoVersions('create-me');
    const e = await createExperiment('create-me', 'create-me');
    expect(e).toMatchObject({ key: 'create-me', salt: 'create-me', status: 'running', control: 'control' });
    expect(e.variants.map((v) => v.runTag)).toEqual(['create-me@1', 'create-me@2']);
    expect(e.startedAt).not.toBeNull();
    const got = await read<{ variants: { prompt: { template: string } }[] }>('/api/iris/experiments/create-me');
    expect(got.variants.map((v) => v.prompt.template)).toEqual(['v1 {{q}}', 'v2 {{q}}']);
    const list = await read<{ data: { key: string }[] }>('/api/iris/experiments');
    expect(list.data.map((x) => x.key)).toContain('create-me');
  });

  it('refuses a key taken, a prompt version the project lacks, a control that is no variant, two variants on one run tag, and changes nothing', async () => {
    await promptWithTwoVersions('refusals');
    await createExperiment('taken', 'refusals');
    const before = await rowCounts(app.db);
    const statuses = [];
    statuses.push(
      (
        await send('POST', '/api/iris/experiments', {
          key: 'taken',
          name: 'x',
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 1 },
          ],
        })
      ).status,
    );
    statuses.push(
      (
        await send('POST', '/api/iris/experiments', {
          key: 'ghost',
          name: 'x',
          variants: [
            { name: 'a', weight: 1, prompt: { name: 'refusals', version: 9 } },
            { name: 'b', weight: 1 },
          ],
        })
      ).status,
    );
    statuses.push(
      (
        await send('POST', '/api/iris/experiments', {
          key: 'ctl',
          name: 'x',
          control: 'zzz',
          variants: [
            { name: 'a', weight: 1 },
            { name: 'b', weight: 1 },
          ],
        })
      ).status,
    );
    statuses.push(
      (
        await send('POST', '/api/iris/experiments', {
          key: 'same',
          name: 'x',
          variants: [
            { name: 'a', weight: 1, prompt: { name: 'refusals', version: 1 } },
            { name: 'b', weight: 1, prompt: { name: 'refusals', version: 1 } },
          ],
        })
      ).status,
    );
    expect(statuses).toEqual([409, 422, 422, 422]);
    expect(await rowCounts(app.db)).toEqual(before);
  });
});

describe('GET /api/iris/experiments/{key}/assignment', () => {
  it('assigns each subject as the pure function does, the same on every call and on a second instance, with the prompt to use', async () => {
    await promptWithTwoVersions('assign');
    const e = await createExperiment('assign', 'assign');
    const other = await createTestApp({ db: app.db });
    try {
      for (const subject of ['user-1', 'user-2', 'user-3', 'conversation:42', 'ü-ñicode']) {
        const path = `/api/iris/experiments/assign/assignment?subject=${encodeURIComponent(subject)}`;
        const here = await read<Assignment>(path);
        const there = (await (await other.request(path, { key: p.key })).json()) as Assignment;
        const expected =
          e.variants[
            assignVariant(e.salt, subject, [
              { name: 'control', weight: 1 },
              { name: 'treatment', weight: 1 },
            ])
          ]!;
        expect(here).toMatchObject({ variant: expected.name, inExperiment: true, promptVersion: expected.runTag });
        expect(there).toEqual(here);
        expect(here.prompt!.template).toBe(expected.name === 'control' ? 'v1 {{q}}' : 'v2 {{q}}');
      }
    } finally {
      // Not closed: it shares the database, which closing would close.
      await other.services.background.drain();
    }
  });

  it('respects the weights: 2,000 subjects split about 90/10', async () => {
    await promptWithTwoVersions('weighted');
    await createExperiment('weighted', 'weighted', {
      variants: [
        { name: 'control', weight: 90, prompt: { name: 'weighted', version: 1 } },
        { name: 'treatment', weight: 10, payload: { flag: true } },
      ],
    });
    let treated = 0;
    for (let i = 0; i < 2000; i++)
      if ((await read<Assignment>(`/api/iris/experiments/weighted/assignment?subject=s${i}`)).variant === 'treatment') treated += 1;
    // Binomial(2000, 0.1): mean 200, sd 13.4; ±5 sd.
    expect(treated).toBeGreaterThan(133);
    expect(treated).toBeLessThan(267);
  });

  it('is answered from the cached definition after the first call, and gives everyone the control outside the run', async () => {
    await promptWithTwoVersions('cached');
    await createExperiment('cached', 'cached', { status: 'draft' });
    const calls: string[] = [];
    const first = await read<Assignment>('/api/iris/experiments/cached/assignment?subject=a');
    expect(first).toMatchObject({ variant: 'control', inExperiment: false });
    const spy = app.services.db.rpc;
    app.services.db.rpc = ((name: string, args: never) => (calls.push(name), spy.call(app.services.db, name as never, args))) as typeof spy;
    try {
      for (let i = 0; i < 20; i++) expect((await read<Assignment>(`/api/iris/experiments/cached/assignment?subject=u${i}`)).variant).toBe('control');
    } finally {
      app.services.db.rpc = spy;
    }
    expect(calls.filter((n) => n === 'get_experiment')).toEqual([]);
  });

  it('starts assigning on a second instance once the experiment starts, within the generation check', async () => {
    let now = Date.now();
    const kv = createMemoryKv();
    const one = await createTestApp({ db: app.db, kv, now: () => now });
    const two = await createTestApp({ db: app.db, kv, now: () => now });
    await promptWithTwoVersions('fleet');
    await createExperiment('fleet', 'fleet', { status: 'draft' });
    const inExperiment = async (t: TestApp) =>
      ((await (await t.request('/api/iris/experiments/fleet/assignment?subject=x', { key: p.key })).json()) as Assignment).inExperiment;
    expect(await inExperiment(two)).toBe(false);
    expect((await one.request('/api/iris/experiments/fleet', { method: 'PATCH', key: p.key, json: { status: 'running' } })).status).toBe(200);
    expect(await inExperiment(one)).toBe(true);
    now += 1_001; // generationCheckMs
    expect(await inExperiment(two)).toBe(true);
    for (const t of [one, two]) await t.services.background.drain();
  });

  it('answers 404 for an experiment the project lacks and 422 without a subject', async () => {
    expect((await send('GET', '/api/iris/experiments/nope/assignment?subject=a')).status).toBe(404);
    expect((await send('GET', '/api/iris/experiments/assign/assignment')).status).toBe(422);
  });
});

describe('GET /api/iris/experiments/{key}/results', () => {
  it('reads the runs of each variant from the rollups in the experiment’s window and judges them by the sequential test', async () => {
    await promptWithTwoVersions('results');
    // Before the experiment started: never counted.
    await ingest('results@1', 50, 0, { createdAt: new Date(Date.now() - 3 * 3_600_000).toISOString() });
    await createExperiment('results', 'results');
    await ingest('results@1', 4000, 400);
    await ingest('results@2', 4000, 492);
    const r = await read<Results>('/api/iris/experiments/results/results');
    expect(r.variants.map((v) => [v.name, v.runs, v.successRate.rate])).toEqual([
      ['control', 4000, 0.1],
      ['treatment', 4000, 0.123],
    ]);
    const [c] = r.comparisons;
    expect(c!.primary.fixedHorizon.pValue).toBeCloseTo(0.0011, 4);
    expect(c!.primary.sequential.pValue).toBeCloseTo(0.027, 3);
    expect(c!.guardrails.map((g) => g.metric)).toEqual(['mean_latency', 'mean_cost']);
    expect(r.sampleRatio.mismatch).toBe(false);
    expect(c!.verdict.verdict).toBe('treatment better');
    expect(r.window).not.toBeNull();
  });

  it('flags a broken split as a sample ratio mismatch', async () => {
    await promptWithTwoVersions('srm');
    await createExperiment('srm', 'srm');
    await ingest('srm@1', 3000, 300);
    await ingest('srm@2', 2000, 300);
    const r = await read<Results>('/api/iris/experiments/srm/results');
    expect(r.sampleRatio.mismatch).toBe(true);
    expect(r.comparisons[0]!.verdict.verdict).toBe('sample ratio mismatch');
  });

  it('answers a draft with empty variants and no verdict beyond no detectable difference yet', async () => {
    await promptWithTwoVersions('draft-results');
    await createExperiment('draft-results', 'draft-results', { status: 'draft' });
    const r = await read<Results>('/api/iris/experiments/draft-results/results');
    expect(r.window).toBeNull();
    expect(r.variants.map((v) => v.runs)).toEqual([0, 0]);
    expect(r.comparisons[0]!.verdict.verdict).toBe('no detectable difference yet');
  });
});

describe('PATCH /api/iris/experiments/{key}', () => {
  it('completes with a winner and moves production to the winner’s version in the same write, recorded like any move', async () => {
    await promptWithTwoVersions('winner');
    await createExperiment('winner', 'winner');
    const res = await send('PATCH', '/api/iris/experiments/winner', { status: 'completed', winner: 'treatment', moveLabel: 'production' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'completed', winner: 'treatment' });
    expect((await read<{ version: number }>('/api/iris/prompts/winner')).version).toBe(2);
    const history = await read<{ moves: { fromVersion: number; toVersion: number; reason: string }[] }>('/api/iris/prompts/winner/labels/production');
    expect(history.moves[0]).toMatchObject({ fromVersion: 1, toVersion: 2, reason: 'experiment winner completed: treatment' });
    // After completion every subject gets the winner.
    expect((await read<Assignment>('/api/iris/experiments/winner/assignment?subject=anyone')).variant).toBe('treatment');
  });

  it('refuses going back, a winner without completion, and a label move that production may not make, changing nothing', async () => {
    await promptWithTwoVersions('strict');
    await send('PATCH', '/api/iris/prompts/strict/versions/2', { status: 'deprecated' });
    await createExperiment('strict', 'strict');
    const before = await rowCounts(app.db);
    expect((await send('PATCH', '/api/iris/experiments/strict', { winner: 'treatment' })).status).toBe(422);
    expect((await send('PATCH', '/api/iris/experiments/strict', { status: 'completed', winner: 'nobody' })).status).toBe(422);
    expect((await send('PATCH', '/api/iris/experiments/strict', { status: 'completed', winner: 'treatment', moveLabel: 'production' })).status).toBe(409);
    expect((await send('PATCH', '/api/iris/experiments/ghost', { status: 'stopped' })).status).toBe(404);
    expect(await rowCounts(app.db)).toEqual(before);
    expect((await send('PATCH', '/api/iris/experiments/strict', { status: 'stopped' })).status).toBe(200);
    expect((await send('PATCH', '/api/iris/experiments/strict', { status: 'running' })).status).toBe(409);
  });
});
