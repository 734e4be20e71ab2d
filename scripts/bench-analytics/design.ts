/**
 * `npm run bench:analytics -- --design`: the two measurements behind the
 * rollup layout in 0004_analytics.sql, on synthetic data in temporary tables
 * (nothing of Iris's schema is touched besides calling its pure functions).
 *
 * 1. Merging histograms. 7 groups × 136 rollup rows (a 90-day window: 90 days
 *    and 46 edge hours), each with a latency histogram of about 400 occupied
 *    lanes, stored (a) as an int[] with one element per lane, merged with
 *    unnest + group by, and (b) as Iris stores it, one numeric with 12 digits
 *    per lane, merged with sum().
 * 2. Aggregating a batch. 1,000 runs into the five dimensions (all, model,
 *    expert, agent, prompt version) with every rollup sum: (a) one row per run
 *    and dimension (cross join) grouped by lane, (b) grouping sets over the
 *    runs, as iris_rollup_facts does.
 * Medians of `iterations` timed calls of each, alternating.
 */
import type { SqlDb } from '../../lib/db/types.js';
import { median } from '../bench-cache/load.js';

const SETUP = `
create temporary table bench_hist_array as
select g, r,
  (select ('[' || lo || ':' || (lo + 399) || ']=' || array_agg(c order by i)::text)::int[]
     from (select i, (1 + floor(random() * 50))::int as c from generate_series(1, 400) i) x) as hist_array
from (select g, r, 650 + g * 7 + (random() * 20)::int as lo from generate_series(1, 7) g, generate_series(1, 136) r) s;
-- The same histograms in Iris's layout, in a table of their own (as each layout would be stored).
create temporary table bench_hist_numeric as
select g, r, (select sum(u.c * public.iris_hist_unit(array_lower(hist_array, 1) + u.o::int - 1)) from unnest(hist_array) with ordinality u(c, o)) as hist_numeric
from bench_hist_array;
analyze bench_hist_array;
analyze bench_hist_numeric;
create temporary table bench_runs as
select now() - random() * interval '1 hour' as created_at, 'model-' || (random() * 5)::int as model, 'expert-' || (random() * 7)::int as expert_id,
  'agent-' || (random() * 11)::int as agent_id, 'v3'::text as prompt_version, case when random() < 0.06 then 'failure' else 'success' end as outcome,
  (random() * 6000)::int as input_tokens, (random() * 900)::int as output_tokens, ((random() * 20000)::int / 1e6)::numeric(14, 6) as cost_usd,
  (300 + random() * 2000)::float8 as latency_ms, random()::real as confidence
from generate_series(1, 1000);
analyze bench_runs;`;

const CASES = {
  'merge: int[] per row, unnest + group by': `
    select g, count(*) from (select h.g, array_lower(h.hist_array, 1) + u.o - 1 as lane, sum(u.c)
      from bench_hist_array h, unnest(h.hist_array) with ordinality u(c, o) group by 1, 2) x group by g`,
  'merge: numeric lanes, sum()': `select g, sum(hist_numeric) is not null from bench_hist_numeric group by g`,
  'batch: one row per run and dimension': `
    select count(*) from (select d.dimension, date_trunc('hour', f.created_at, 'UTC'),
      case d.dimension when 'all' then '' when 'model' then f.model when 'expert' then f.expert_id when 'agent' then f.agent_id else f.prompt_version end,
      public.iris_latency_lane(f.latency_ms), count(*), count(*) filter (where outcome = 'success'), sum(input_tokens), sum(output_tokens),
      sum((cost_usd * 1000000)::bigint), sum(latency_ms), sum(latency_ms * latency_ms), count(confidence), sum(confidence::float8)
    from bench_runs f cross join unnest(array['all', 'model', 'expert', 'agent', 'prompt_version']) d(dimension) group by 1, 2, 3, 4) x`,
  'batch: grouping sets (iris_rollup_facts)': `
    select count(*) from (select array_agg(row(created_at, model, expert_id, agent_id, prompt_version, outcome, input_tokens,
        output_tokens, cost_usd, latency_ms, confidence)::public.iris_run_fact) as facts from bench_runs) b
    cross join lateral public.iris_rollup_facts(b.facts, public.iris_rollup_dimensions(), 'hour')`,
} as const;

export async function designBenchmark(db: SqlDb, iterations: number): Promise<{ rows: string[][] }> {
  // One session: the temporary tables live in it.
  await db.exec('set jit = off');
  await db.exec(SETUP);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(CASES).map((k) => [k, []]));
  for (const sql of Object.values(CASES)) await db.query(sql);
  for (let i = 0; i < iterations; i++) {
    for (const [name, sql] of Object.entries(CASES)) {
      const started = performance.now();
      await db.query(sql);
      times[name]!.push(performance.now() - started);
    }
  }
  return { rows: Object.entries(times).map(([name, t]) => [name, median(t).toFixed(2)]) };
}
