import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPriceIndex, priceFromView, priceRun, priceView } from '../pricing/index.js';
import { createPgliteDb } from '../db/pglite.js';
import type { SqlDb } from '../db/types.js';
import { DEFAULT_READS_PER_MINUTE, DEFAULT_WRITES_PER_MINUTE, ruleForKey } from '../rate-limit/index.js';
import { experimentResults } from '../experiments/index.js';
import { applyDemoRateLimit, DEMO_EXPERIMENT, DEMO_PROJECT_NAME, DEMO_PROMPT, DEMO_RATE_LIMIT, seedDemo, seedProject } from './index.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY_MS = 86_400_000;

let db: SqlDb;
/** The project of the default-sized seed, which the experiment test reads. */
let demoProject = '';
beforeAll(async () => {
  db = await createPgliteDb({ dataDir: null });
});
afterAll(async () => {
  await db.close();
});

describe('seedDemo', () => {
  it('creates one demo project with the requested runs spread over the history', async () => {
    const { projectId, runs } = await seedDemo(db, { runs: 5_000, days: 10, now: NOW });
    expect(runs).toBe(5_000);
    const [project] = await db.rpc('get_project', { p_project_id: projectId });
    expect(project).toMatchObject({ name: DEMO_PROJECT_NAME, settings: { demo: true, seed: 42 } });

    const [shape] = await db.query<Record<string, number | string>>(
      `select count(*)::int as runs,
              count(distinct model)::int as models,
              count(distinct expert_id)::int as experts,
              count(distinct agent_id)::int as agents,
              count(distinct prompt_version)::int as prompt_versions,
              avg((outcome = 'failure')::int)::float8 as failure_rate,
              avg((outcome = 'partial')::int)::float8 as partial_rate,
              min(created_at) as oldest, max(created_at) as newest,
              bool_and(confidence is null or confidence between 0 and 1)::int as confidence_ok,
              bool_and((outcome = 'success') = (error_type is null))::int as error_types_ok
       from public.model_runs where project_id = $1`,
      [projectId],
    );
    // v1 to v3, and the newest week of v3 split between the demo experiment's two variants.
    expect(shape).toMatchObject({ runs: 5_000, models: 7, experts: 8, agents: 12, prompt_versions: 5, confidence_ok: 1, error_types_ok: 1 });
    expect(shape!.failure_rate).toBeGreaterThan(0.04);
    expect(shape!.failure_rate).toBeLessThan(0.1);
    expect(shape!.partial_rate).toBeGreaterThan(0.01);
    expect(new Date(shape!.oldest!).getTime()).toBeGreaterThanOrEqual(NOW.getTime() - 10 * DAY_MS);
    expect(new Date(shape!.newest!).getTime()).toBeLessThanOrEqual(NOW.getTime());

    // Models differ in latency and price, as a dashboard should show.
    const perModel = await db.query<{ model: string; p50: number; usd_per_run: number }>(
      `select model, percentile_cont(0.5) within group (order by latency_ms) as p50, avg(cost_usd)::float8 as usd_per_run
       from public.model_runs where project_id = $1 group by model`,
      [projectId],
    );
    const p50 = Object.fromEntries(perModel.map((m) => [m.model, m.p50]));
    expect(p50['claude-3-5-sonnet']).toBeGreaterThan(2 * p50['gpt-4o-mini']!);
  });

  it('exercises cost sources, cache reads and a model without a price, and keeps costs the price table would compute', async () => {
    const { projectId } = await seedDemo(db, { runs: 3_000, now: NOW, vacuum: false });
    const sources = await db.query<{ cost_source: string; n: number; zero: number }>(
      `select cost_source, count(*)::int as n, count(*) filter (where cost_usd = 0)::int as zero
       from public.model_runs where project_id = $1 group by cost_source order by cost_source`,
      [projectId],
    );
    expect(sources.map((s) => s.cost_source)).toEqual(['client', 'computed', 'unknown_model']);
    expect(sources.find((s) => s.cost_source === 'unknown_model')).toMatchObject({ zero: sources.find((s) => s.cost_source === 'unknown_model')!.n });
    const [cached] = await db.query<{ n: number }>(`select count(*)::int as n from public.model_runs where project_id = $1 and cache_read_tokens > 0`, [projectId]);
    expect(cached!.n).toBeGreaterThan(300);
    const unknown = await db.rpc('list_unknown_models', { p_project_id: projectId });
    expect(unknown).toEqual([expect.objectContaining({ model: 'acme-agent-llm', runs: sources.find((s) => s.cost_source === 'unknown_model')!.n })]);

    // The seed's costs are what lib/pricing computes from the default table.
    const index = createPriceIndex((await db.rpc('list_model_prices', { p_project_id: projectId })).map(priceView).map(priceFromView));
    const sample = await db.rpc('list_model_runs', { p_project_id: projectId, p_limit: 200, p_before_created_at: null, p_before_id: null });
    for (const r of sample.filter((x) => x.cost_source === 'computed')) {
      const usage = { model: r.model, inputTokens: r.input_tokens, outputTokens: r.output_tokens, cacheReadTokens: r.cache_read_tokens };
      expect(priceRun(index, usage, Date.parse(r.created_at)).costUsd, r.model).toBeCloseTo(r.cost_usd, 6);
    }
  });

  it('adds a project, an agent and a model budget, spent as sized, with the crossings ingest would have recorded', async () => {
    const { projectId } = await seedDemo(db, { runs: 3_000, vacuum: false });
    const status = await db.rpc('budget_status', { p_project_id: projectId });
    expect(status.map((b) => [b.scope, b.scope_value, b.period, b.hard_limit]).sort()).toEqual([
      ['agent', 'agent-01', 'day', true],
      ['model', 'gpt-4o', 'week', false],
      ['project', null, 'month', false],
    ]);
    const crossings = await db.query<{ budget_id: string; threshold: number }>(
      'select c.budget_id, c.threshold::float8 as threshold from public.budget_crossings c join public.budgets b on b.id = c.budget_id where b.project_id = $1',
      [projectId],
    );
    for (const b of status) {
      const where = b.scope === 'project' ? '' : ` and ${b.scope === 'agent' ? 'agent_id' : 'model'} = $4`;
      const [raw] = await db.query<{ usd: number }>(
        `select coalesce(sum(cost_usd), 0)::float8 as usd from public.model_runs where project_id = $1 and created_at >= $2 and created_at < $3${where}`,
        [projectId, b.period_start, b.period_end, ...(b.scope_value ? [b.scope_value] : [])],
      );
      expect(Number(b.spent_usd), b.name).toBeCloseTo(raw!.usd, 6);
      const reached = b.thresholds.map(Number).filter((t) => Number(b.spent_usd) >= t * Number(b.amount_usd));
      expect(crossings.filter((c) => c.budget_id === b.id).map((c) => c.threshold).sort(), b.name).toEqual(reached);
    }
    // The project month is sized to about 62% (past 50%), the agent's day to about 90% (past 80%, still allowed).
    const project = status.find((b) => b.scope === 'project')!;
    if (Number(project.spent_usd) > 1) expect(Number(project.spent_usd) / Number(project.amount_usd)).toBeCloseTo(0.62, 1);
  });

  it('adds experts with inactive older versions, reflexions and reports with one open critical', async () => {
    const { projectId } = await seedDemo(db, { runs: 2_000, now: NOW, vacuum: false });
    const experts = await db.rpc('list_experts', { p_project_id: projectId, p_active_only: false });
    const active = experts.filter((e) => e.active);
    expect(new Set(active.map((e) => e.expert_id)).size).toBe(active.length);
    expect(active).toHaveLength(8);
    expect(experts.length).toBeGreaterThan(active.length);
    expect(active.every((e) => e.usage_count > 0)).toBe(true);

    const reflexions = await db.rpc('list_reflexions', {
      p_project_id: projectId,
      p_expert_id: null,
      p_limit: 1000,
      p_before_created_at: null,
      p_before_id: null,
    });
    expect(reflexions.length).toBeGreaterThanOrEqual(20);

    const reports = await db.rpc('list_reports', { p_project_id: projectId, p_limit: 100, p_before_created_at: null, p_before_id: null });
    expect(reports.filter((r) => r.severity === 'critical' && r.resolved_at === null)).toHaveLength(1);
    expect(reports.some((r) => r.resolved_at !== null)).toBe(true);
    expect(reports[0]).toMatchObject({ overall_health: 'degraded', health_score: 71 });
  });

  it('reproduces the same history from the same seed and now, and another from another seed', async () => {
    const a = await seedDemo(db, { runs: 1_000, seed: 7, now: NOW, vacuum: false });
    const b = await seedDemo(db, { runs: 1_000, seed: 7, now: NOW, vacuum: false });
    const c = await seedDemo(db, { runs: 1_000, seed: 8, now: NOW, vacuum: false });
    // Run ids derive from the project id, so compare everything else.
    const withoutIds = (projectId: string) =>
      db.query(
        `select expert_id, agent_id, model, prompt_version, input_tokens, output_tokens, cost_usd::text, latency_ms,
                confidence, outcome, error_type, created_at
         from public.model_runs where project_id = $1 order by created_at, latency_ms`,
        [projectId],
      );
    expect(await withoutIds(a.projectId)).toEqual(await withoutIds(b.projectId));
    expect(await withoutIds(a.projectId)).not.toEqual(await withoutIds(c.projectId));
  });

  it('seeds the default 50,000 runs on PGlite', async () => {
    const { projectId, runs } = await seedDemo(db, { now: NOW });
    expect(runs).toBe(50_000);
    const [overview] = await db.rpc('get_project_overview', { p_project_id: projectId });
    expect(overview).toMatchObject({ active_experts: 8, open_critical_reports: 1 });
    demoProject = projectId;
  });

  it('gives the demo a prompt with versions and labels, and a running experiment whose runs show a real result', async () => {
    const versions = await db.rpc('list_prompt_versions', { p_project_id: demoProject, p_name: DEMO_PROMPT });
    expect(versions.map((v) => [v.version, v.status, v.labels])).toEqual([
      [3, 'testing', ['staging']],
      [2, 'active', ['production']],
      [1, 'deprecated', []],
    ]);
    const moves = await db.rpc('list_prompt_label_moves', { p_project_id: demoProject, p_name: DEMO_PROMPT, p_label: 'production', p_limit: 10 });
    expect(moves.map((m) => [m.from_version, m.to_version])).toEqual([
      [1, 2],
      [null, 1],
    ]);
    const canary = await db.rpc('list_prompt_label_moves', { p_project_id: demoProject, p_name: DEMO_PROMPT, p_label: 'canary', p_limit: 10 });
    expect(canary.map((m) => [m.from_version, m.to_version, m.reason])).toEqual([
      [1, null, 'v1 deprecated'],
      [null, 1, 'new version'],
    ]);
    const [experiment] = await db.rpc('get_experiment', { p_project_id: demoProject, p_key: DEMO_EXPERIMENT });
    expect(experiment).toMatchObject({ status: 'running' });
    const sums = await db.rpc('experiment_results', { p_project_id: demoProject, p_key: DEMO_EXPERIMENT });
    const results = experimentResults(
      { control: 'control', primaryMetric: 'success_rate', guardrailMetrics: [] },
      sums.map((r) => ({ name: r.variant, weight: 1, runs: Number(r.runs), successes: Number(r.successes), costUsd: 0, costUsdSq: 0, latencyMsSum: 0, latencyMsSq: 0, confidenceN: 0, confidenceSum: 0 })),
    );
    expect(results.variants.every((v) => v.runs > 4000)).toBe(true);
    expect(results.sampleRatio!.mismatch).toBe(false);
    expect(results.comparisons[0]!.verdict.verdict).toBe('treatment better');
  });

  it('gives the demo project rate limits that a benchmark or load test does not reach', async () => {
    const settingsOf = async (projectId: string) => (await db.rpc('get_project', { p_project_id: projectId }))[0]!.settings;
    const { projectId } = await seedDemo(db, { runs: 0, now: NOW, vacuum: false });
    const settings = await settingsOf(projectId);
    expect(settings).toMatchObject({ demo: true, rateLimit: DEMO_RATE_LIMIT });
    // What the limiter applies to the demo key: far above a benchmark's minute (about 300,000 requests here).
    expect(ruleForKey(settings, 'GET').limit).toBeGreaterThanOrEqual(100_000_000);
    expect(ruleForKey(settings, 'POST').limit).toBeGreaterThanOrEqual(100_000_000);

    // Without them, the defaults; an older demo project gets them afterwards.
    const older = await seedDemo(db, { runs: 0, now: NOW, vacuum: false, rateLimit: null });
    expect(ruleForKey(await settingsOf(older.projectId), 'GET').limit).toBe(DEFAULT_READS_PER_MINUTE);
    expect(ruleForKey(await settingsOf(older.projectId), 'POST').limit).toBe(DEFAULT_WRITES_PER_MINUTE);
    await applyDemoRateLimit(db, older.projectId);
    expect(await settingsOf(older.projectId)).toMatchObject({ demo: true, seed: 42, rateLimit: DEMO_RATE_LIMIT });
  });

  it('rejects options outside their range before touching the database', async () => {
    await expect(seedDemo(db, { runs: -1 })).rejects.toThrow(/runs/);
    await expect(seedDemo(db, { days: 0 })).rejects.toThrow(/days/);
    await expect(seedDemo(db, { seed: 1.5 })).rejects.toThrow(/seed/);
  });
});

describe('seedProject', () => {
  it('creates a project whose key verifies and whose runs are stored', async () => {
    const seeded = await seedProject(db, {
      name: 'fixture',
      runs: [{ expert_id: 'planner', model: 'm', input_tokens: 1, output_tokens: 1, cost_usd: 0, latency_ms: 5, outcome: 'success' }],
    });
    expect(seeded.apiKey).toMatch(/^iris_sk_/);
    const [verified] = await db.rpc('verify_api_key', { p_key_hash: seeded.keyHash });
    expect(verified).toMatchObject({ key_id: seeded.keyId, project_id: seeded.projectId, project_name: 'fixture' });
    expect(await db.rpc('list_runs', { p_project_id: seeded.projectId, p_limit: 10, p_before_created_at: null, p_before_id: null })).toHaveLength(1);
  });
});
