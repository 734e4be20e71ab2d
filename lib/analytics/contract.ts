/**
 * The behaviour suite of the rollups and the analytics RPCs, run against every
 * SQL engine Iris supports: `runAnalyticsContract('pglite', makeDb)` in the
 * unit tests, against PostgreSQL 15 in the integration suite. It talks to the
 * database through `rpc()` only, except where it must remove rollups to test
 * the backfill (skipped without `SqlDb.query`).
 *
 * The reference is the raw runs the suite generated itself: counts, tokens and
 * cost must equal their sums exactly; percentiles must be within 1% of the
 * exact nearest-rank value (`percentile_disc`) of the same runs.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { Db, RunInput, SqlDb, Uuid } from '../db/types.js';
import { normal as gaussian, seededRandom as random } from '../metrics/test-support.js';
import { backfillRollups } from './backfill.js';
import { laneOf, laneValue, nearestRank, RELATIVE_ERROR } from './histogram.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

/** Latency shapes agents produce, skewed on purpose: the histogram must hold its bound for all of them. */
const SHAPES: Record<string, (next: () => number) => number> = {
  // Typical LLM latency.
  'lognormal-narrow': (next) => 900 * Math.exp(0.4 * gaussian(next)),
  // Wide spread across three orders of magnitude.
  'lognormal-wide': (next) => 400 * Math.exp(1.6 * gaussian(next)),
  // Fast answers plus a cluster of 30 s timeouts.
  bimodal: (next) => (next() < 0.08 ? 30_000 + 2_000 * next() : 120 * Math.exp(0.3 * gaussian(next))),
  // Heavy tail (Pareto, alpha 1.2).
  pareto: (next) => 50 / Math.pow(1 - next(), 1 / 1.2),
  // Sub-millisecond tool calls, some under 1 µs.
  tiny: (next) => (next() < 0.05 ? 0.0004 : 0.02 + 2 * next()),
  // Everyone takes the same time.
  constant: () => 750,
};

interface Generated {
  runs: RunInput[];
  /** created_at as epoch ms, parallel to runs. */
  at: number[];
}

/**
 * Runs of six models (one latency shape each), five experts, seven agents
 * (one in nine runs has none), three prompt versions (one in five has none),
 * spread over `days` days ending at `endMs`, at random times within the hour.
 */
function generate(count: number, endMs: number, days: number, seed: number): Generated {
  const next = random(seed);
  const shapes = Object.entries(SHAPES);
  const runs: RunInput[] = [];
  const at: number[] = [];
  for (let i = 0; i < count; i++) {
    const [model, shape] = shapes[i % shapes.length]!;
    const ms = Math.floor(endMs - next() * days * DAY_MS);
    const outcome = next() < 0.07 ? 'failure' : next() < 0.03 ? 'partial' : 'success';
    const agent = Math.floor(next() * 9);
    const version = Math.floor(next() * 5);
    runs.push({
      expert_id: `expert-${Math.floor(next() * 5)}`,
      agent_id: agent < 7 ? `agent-${agent}` : null,
      model,
      prompt_version: version < 3 ? `v${version + 1}` : null,
      input_tokens: Math.floor(next() * 5000),
      output_tokens: Math.floor(next() * 800),
      // Whole micro-dollars, so the expected sums are exact integers of micros.
      cost_usd: Math.floor(next() * 20_000) / 1e6,
      latency_ms: Math.round(shape(next) * 1000) / 1000,
      confidence: next() < 0.1 ? null : Math.round(next() * 1000) / 1000,
      outcome,
      created_at: iso(ms),
    });
    at.push(ms);
  }
  return { runs, at };
}

/** The exact aggregates of a set of runs, as the RPCs should report them. */
function aggregate(runs: RunInput[]) {
  const latencies = runs.map((r) => r.latency_ms).sort((a, b) => a - b);
  const confidences = runs.map((r) => r.confidence).filter((c): c is number => c !== null && c !== undefined);
  return {
    runs: runs.length,
    successes: runs.filter((r) => r.outcome === 'success').length,
    inputTokens: runs.reduce((s, r) => s + r.input_tokens, 0),
    outputTokens: runs.reduce((s, r) => s + r.output_tokens, 0),
    costMicros: runs.reduce((s, r) => s + Math.round(r.cost_usd * 1e6), 0),
    meanLatency: latencies.reduce((s, v) => s + v, 0) / Math.max(1, latencies.length),
    meanConfidence: confidences.length ? confidences.reduce((s, v) => s + v, 0) / confidences.length : null,
    latencies,
  };
}

function groupBy<T>(items: T[], key: (item: T) => string | null): Map<string | null, T[]> {
  const groups = new Map<string | null, T[]>();
  for (const item of items) {
    const k = key(item);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return groups;
}

/**
 * Within 1% of the exact nearest-rank value: the bucket's 0.941% plus rounding
 * to 1 µs. Below 1 µs a latency counts as zero, so there the bound is absolute.
 */
function expectWithinOnePercent(estimate: number | null, exact: number | null, label: string): void {
  if (exact === null) {
    expect(estimate, label).toBeNull();
    return;
  }
  expect(estimate, label).not.toBeNull();
  if (exact < 0.001) {
    expect(estimate, label).toBe(0);
    return;
  }
  const relative = Math.abs(estimate! - exact) / exact;
  expect(relative, `${label}: estimate ${estimate} vs exact ${exact}`).toBeLessThanOrEqual(0.01);
}

function asSqlDb(db: Db): SqlDb | null {
  return 'query' in db && typeof (db as SqlDb).query === 'function' ? (db as SqlDb) : null;
}

/** Registers the analytics suite for one database; `makeDb` returns a migrated database. */
export function runAnalyticsContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`analytics contract: ${name}`, () => {
    let db: Db;
    // Rollups are kept per UTC hour and day: end the history mid-hour so windows have ragged edges.
    const endMs = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * DAY_MS + 37 * 60_000;

    beforeAll(async () => {
      db = await makeDb();
    });
    afterAll(async () => {
      await db?.close();
    });

    async function newProject(): Promise<Uuid> {
      const [project] = await db.rpc('create_project', { p_name: `analytics ${name}`, p_settings: {} });
      return project!.id;
    }

    async function ingestAll(projectId: Uuid, runs: RunInput[]): Promise<void> {
      for (let i = 0; i < runs.length; i += 1000) {
        await db.rpc('ingest_runs', { p_project_id: projectId, p_runs: runs.slice(i, i + 1000) });
      }
    }

    const check = (projectId: Uuid, fromMs: number, toMs: number) =>
      db.rpc('check_run_rollups', { p_project_id: projectId, p_from: iso(fromMs), p_to: iso(toMs) });

    // One shared history: 6,600 runs over 10 days, 1,100 per model.
    let project: Uuid;
    let data: Generated;
    beforeAll(async () => {
      project = await newProject();
      data = generate(6600, endMs, 10, 7);
      await ingestAll(project, data.runs);
    });

    /** The generated runs in [fromMs, toMs). */
    const inWindow = (fromMs: number, toMs: number) => data.runs.filter((_, i) => data.at[i]! >= fromMs && data.at[i]! < toMs);

    /** Windows with ragged ends: within one hour, across hours, across days, the whole history. */
    const windows = () => [
      { label: 'whole history', fromMs: endMs - 11 * DAY_MS, toMs: endMs + HOUR_MS },
      { label: 'ragged 4.3 days', fromMs: endMs - 6.71 * DAY_MS + 7 * 60_000, toMs: endMs - 2.4 * DAY_MS - 11_111 },
      { label: 'ragged 29 hours', fromMs: endMs - 2 * DAY_MS - 17 * 60_000, toMs: endMs - 19 * HOUR_MS + 1 },
      { label: 'inside one hour', fromMs: endMs - 5 * DAY_MS + 5 * 60_000, toMs: endMs - 5 * DAY_MS + 50 * 60_000 },
      { label: 'aligned days', fromMs: Math.floor(endMs / DAY_MS) * DAY_MS - 7 * DAY_MS, toMs: Math.floor(endMs / DAY_MS) * DAY_MS },
    ];

    it('keeps the rollups equal to the raw runs after batches, late runs and a failed batch', async () => {
      const projectId = await newProject();
      const now = Date.now();
      const recent = generate(1500, now, 2, 11);
      // Backfilled runs land in their own (old) hours and days.
      const late = generate(300, now - 300 * DAY_MS, 3, 12);
      await ingestAll(projectId, recent.runs);
      await ingestAll(projectId, late.runs);
      const bad = [...late.runs.slice(0, 5), { ...late.runs[5]!, outcome: 'exploded' as never }];
      await expect(db.rpc('ingest_runs', { p_project_id: projectId, p_runs: bad })).rejects.toMatchObject({ sqlState: '23514' });

      expect(await check(projectId, now - 304 * DAY_MS, now - 296 * DAY_MS)).toEqual([]);
      expect(await check(projectId, now - 3 * DAY_MS, now + DAY_MS)).toEqual([]);
      const [tokens] = await db.rpc('get_token_stats', { p_project_id: projectId, p_from: iso(now - 400 * DAY_MS), p_to: iso(now + HOUR_MS) }).then((rows) => rows.slice(-1));
      expect(tokens).toMatchObject({ model: null, runs: 1800 });
    });

    it('reports a window exactly like the raw runs in it, whatever its edges', async () => {
      for (const w of windows()) {
        const args = { p_project_id: project, p_from: iso(w.fromMs), p_to: iso(w.toMs) };
        const runs = inWindow(w.fromMs, w.toMs);
        const byModel = [...groupBy(runs, (r) => r.model)].sort(([a], [b]) => (a! < b! ? -1 : 1));
        const tokenRows = await db.rpc('get_token_stats', args);
        const expected = [...byModel.map(([model, rs]) => [model, rs] as const), [null, runs] as const].map(([model, rs]) => {
          const a = aggregate([...rs]);
          return { model, runs: a.runs, input_tokens: a.inputTokens, output_tokens: a.outputTokens, cost_micros: a.costMicros };
        });
        expect(
          tokenRows.map((r) => ({ model: r.model, runs: r.runs, input_tokens: r.input_tokens, output_tokens: r.output_tokens, cost_micros: Math.round(r.cost_usd * 1e6) })),
          w.label,
        ).toEqual(expected);

        const perf = await db.rpc('get_performance_stats', args);
        for (const row of perf) {
          const a = aggregate(row.model === null ? runs : byModel.find(([m]) => m === row.model)![1]);
          const label = `${w.label} ${row.model ?? 'total'}`;
          expect(row.runs, label).toBe(a.runs);
          if (a.runs > 0) expect(row.success_rate, label).toBeCloseTo(a.successes / a.runs, 6);
          if (a.meanConfidence !== null) expect(row.mean_confidence, label).toBeCloseTo(a.meanConfidence, 5);
          expectWithinOnePercent(row.p50_latency_ms, nearestRank(a.latencies, 0.5), `${label} p50`);
          expectWithinOnePercent(row.p95_latency_ms, nearestRank(a.latencies, 0.95), `${label} p95`);
          expectWithinOnePercent(row.p99_latency_ms, nearestRank(a.latencies, 0.99), `${label} p99`);
        }
      }
    });

    it('estimates every percentile within 1% of the exact nearest-rank value, for skewed shapes and every group size', async () => {
      // Each model has one shape; agents and prompt versions mix them.
      for (const by of ['model', 'agent', 'prompt_version', 'expert'] as const) {
        for (const w of windows()) {
          const runs = inWindow(w.fromMs, w.toMs);
          const key = (r: RunInput) => (by === 'model' ? r.model : by === 'expert' ? r.expert_id : by === 'agent' ? (r.agent_id ?? null) : (r.prompt_version ?? null));
          const groups = groupBy(runs, key);
          const rows = await db.rpc('get_stats_breakdown', {
            p_project_id: project, p_by: by, p_from: iso(w.fromMs), p_to: iso(w.toMs), p_sort: 'runs', p_descending: true, p_limit: 1000,
          });
          expect(rows.map((r) => r.value).sort(), `${by} ${w.label}`).toEqual([...groups.keys()].sort());
          for (const row of rows) {
            const a = aggregate(groups.get(row.value)!);
            const label = `${by}=${row.value} ${w.label} (${a.runs} runs)`;
            expect(row.runs, label).toBe(a.runs);
            expect(Math.round(row.cost_usd * 1e6), label).toBe(a.costMicros);
            expect(row.mean_latency_ms!, label).toBeCloseTo(a.meanLatency, 2);
            for (const [q, field] of [[0.5, 'p50_latency_ms'], [0.95, 'p95_latency_ms'], [0.99, 'p99_latency_ms']] as const) {
              expectWithinOnePercent(row[field], nearestRank(a.latencies, q), `${label} ${field}`);
            }
          }
        }
      }
    });

    it('reports the same estimate as the documented bucket layout', async () => {
      // The SQL lane functions and lib/analytics/histogram.ts agree on every lane boundary neighbourhood.
      const projectId = await newProject();
      const values = [0, 0.0009, 0.001, 0.0011, 0.5, 1, 1.019, 7.3, 100, 1234.5, 30_000, 86_400_000];
      const at = endMs - 2 * DAY_MS;
      await ingestAll(projectId, values.map((latency_ms, i) => ({ expert_id: 'e', model: `m${i}`, input_tokens: 0, output_tokens: 0, cost_usd: 0, latency_ms, outcome: 'success', created_at: iso(at) })));
      const rows = await db.rpc('get_performance_stats', { p_project_id: projectId, p_from: iso(at - HOUR_MS), p_to: iso(at + HOUR_MS) });
      for (const [i, latency] of values.entries()) {
        const row = rows.find((r) => r.model === `m${i}`)!;
        const estimate = Math.round(laneValue(laneOf(latency)) * 1000) / 1000;
        expect(row.p50_latency_ms, `latency ${latency}`).toBe(estimate);
        if (latency >= 0.001) expect(Math.abs(laneValue(laneOf(latency)) - latency) / latency).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
      }
    });

    it('breaks a window down by group, sorted and limited, with the number of groups', async () => {
      const w = windows()[1]!;
      const runs = inWindow(w.fromMs, w.toMs);
      const costs = [...groupBy(runs, (r) => r.agent_id ?? null)].map(([agent, rs]) => ({ agent, micros: aggregate(rs).costMicros }));
      costs.sort((a, b) => b.micros - a.micros || String(a.agent ?? '').localeCompare(String(b.agent ?? '')));
      const rows = await db.rpc('get_stats_breakdown', {
        p_project_id: project, p_by: 'agent', p_from: iso(w.fromMs), p_to: iso(w.toMs), p_sort: 'cost_usd', p_descending: true, p_limit: 3,
      });
      expect(rows.map((r) => r.value)).toEqual(costs.slice(0, 3).map((c) => c.agent));
      expect(rows.every((r) => r.total_groups === costs.length)).toBe(true);
      expect(costs.some((c) => c.agent === null)).toBe(true);

      const ascending = await db.rpc('get_stats_breakdown', {
        p_project_id: project, p_by: 'agent', p_from: iso(w.fromMs), p_to: iso(w.toMs), p_sort: 'p99_latency_ms', p_descending: false, p_limit: 1000,
      });
      const p99s = ascending.map((r) => r.p99_latency_ms!);
      expect(p99s).toEqual([...p99s].sort((a, b) => a - b));
    });

    it('charts every bucket of a time series, top groups by the metric and the rest as other', async () => {
      const dayStart = Math.floor(endMs / DAY_MS) * DAY_MS;
      const fromMs = dayStart - 6 * DAY_MS;
      const toMs = dayStart + DAY_MS;
      const rows = await db.rpc('get_stats_timeseries', {
        p_project_id: project, p_metric: 'cost_usd', p_interval: 'day', p_from: iso(fromMs + 5 * HOUR_MS), p_to: iso(toMs - HOUR_MS), p_group_by: 'model', p_top: 2,
      });
      const runs = inWindow(fromMs, toMs);
      const ranked = [...groupBy(runs, (r) => r.model)].map(([model, rs]) => ({ model, micros: aggregate(rs).costMicros })).sort((a, b) => b.micros - a.micros);
      const top = ranked.slice(0, 2).map((r) => r.model);
      // The window was widened to whole days: 7 buckets per series, 2 groups and other.
      expect(rows).toHaveLength(7 * 3);
      expect([...new Set(rows.map((r) => `${r.kind}:${r.grp}`))]).toEqual([...top.map((m) => `group:${m}`), 'other:null']);
      for (const row of rows) {
        const bucket = Date.parse(row.bucket_start);
        const inBucket = runs.filter((r) => Date.parse(r.created_at!) >= bucket && Date.parse(r.created_at!) < bucket + DAY_MS);
        const members = inBucket.filter((r) => (row.kind === 'other' ? !top.includes(r.model) : r.model === row.grp));
        expect(row.runs).toBe(members.length);
        expect(Math.round(row.value! * 1e6)).toBe(aggregate(members).costMicros);
      }

      // An empty bucket is a zero for counts and a null for percentiles.
      const empty = await db.rpc('get_stats_timeseries', {
        p_project_id: project, p_metric: 'p95_latency_ms', p_interval: 'hour', p_from: iso(endMs - 37 * 60_000 + 2 * HOUR_MS), p_to: iso(endMs - 37 * 60_000 + 4 * HOUR_MS), p_group_by: 'none', p_top: 0,
      });
      expect(empty).toEqual([
        { bucket_start: expect.any(String), kind: 'all', grp: null, runs: 0, value: null },
        { bucket_start: expect.any(String), kind: 'all', grp: null, runs: 0, value: null },
      ]);
    });

    it('rebuilds the same rollups from raw runs, idempotently, one day at a time', async (ctx: TestContext) => {
      const sql = asSqlDb(db);
      if (!sql) ctx.skip('needs SqlDb.query to drop rollups');
      const projectId = await newProject();
      const history = generate(800, endMs, 3, 21);
      await ingestAll(projectId, history.runs);
      // Every exact column; the float sums depend on the order of additions, so
      // check_run_rollups compares those to a relative 1e-9.
      const exact = `md5(string_agg(concat_ws(',', r.dimension, r.grain, r.bucket_start, r.value, r.runs, r.successes, r.failures,
        r.partials, r.input_tokens, r.output_tokens, r.cost_usd, r.confidence_n, r.latency_hist, r.latency_hist_coarse), '|'
        order by r.dimension, r.grain, r.bucket_start, r.value))`;
      const everything = `md5(string_agg(r::text, '|' order by r.dimension, r.grain, r.bucket_start, r.value))`;
      const snapshot = async () =>
        (await sql!.query<{ exact: string; everything: string }>(
          `select ${exact} as exact, ${everything} as everything from run_rollups r where r.project_id = $1`,
          [projectId],
        ))[0]!;
      const ingested = await snapshot();
      await sql!.query('delete from run_rollups where project_id = $1', [projectId]);
      const options = { projectId, fromMs: endMs - 4 * DAY_MS, toMs: endMs + DAY_MS };
      const first = await backfillRollups(db, options);
      expect(first.runs).toBe(800);
      const rebuilt = await snapshot();
      expect(rebuilt.exact).toBe(ingested.exact);
      expect(await check(projectId, options.fromMs, options.toMs)).toEqual([]);
      await backfillRollups(db, options);
      expect(await snapshot()).toEqual(rebuilt);
    });

    it('finds a rollup that disagrees with the raw runs', async (ctx: TestContext) => {
      const sql = asSqlDb(db);
      if (!sql) ctx.skip('needs SqlDb.query to corrupt a rollup');
      const projectId = await newProject();
      await ingestAll(projectId, generate(50, endMs, 1, 31).runs);
      await sql!.query(`update run_rollups set cost_usd = cost_usd + 0.000001 where project_id = $1 and dimension = 'model' and grain = 'day'`, [projectId]);
      const rows = await check(projectId, endMs - 2 * DAY_MS, endMs + DAY_MS);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.field === 'cost_usd' && r.grain === 'day' && r.dimension === 'model')).toBe(true);
    });

    it('never shows one project the rollups of another', async () => {
      const other = await newProject();
      const w = windows()[0]!;
      for (const by of ['model', 'agent'] as const) {
        expect(await db.rpc('get_stats_breakdown', { p_project_id: other, p_by: by, p_from: iso(w.fromMs), p_to: iso(w.toMs), p_sort: 'runs', p_descending: true, p_limit: 10 })).toEqual([]);
      }
      const series = await db.rpc('get_stats_timeseries', { p_project_id: other, p_metric: 'runs', p_interval: 'day', p_from: iso(w.fromMs), p_to: iso(w.toMs), p_group_by: 'model', p_top: 5 });
      expect(series).toEqual([]);
      const [overview] = await db.rpc('get_project_overview', { p_project_id: other });
      expect(overview).toMatchObject({ runs_24h: 0, runs_today: 0 });
    });
  });
}
