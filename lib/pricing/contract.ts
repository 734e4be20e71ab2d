/**
 * The behaviour suite of migration 0008 (token parts, the price table, cost
 * sources, unknown models), run against every SQL engine Iris supports:
 * `runPricingContract('pglite', makeDb)` in the unit tests, against
 * PostgreSQL 15 in the integration suite. Talks to the database through
 * `rpc()` only.
 */
import { describe, expect, it } from 'vitest';
import { rejection, suiteDb } from '../db/testing.js';
import type { Db, RunInput, Uuid } from '../db/types.js';
import { createPriceIndex } from './match.js';
import { priceFromView, priceRun, priceView } from './table.js';

const iso = (ms: number) => new Date(ms).toISOString();

function run(overrides: Partial<RunInput> = {}): RunInput {
  return { expert_id: 'planner', model: 'gpt-4o-mini', input_tokens: 100, output_tokens: 20, cost_usd: 0.001, latency_ms: 250, outcome: 'success', ...overrides };
}

/** Registers the suite for one database; `makeDb` returns a migrated database. */
export function runPricingContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`pricing contract: ${name}`, () => {
    const suite = suiteDb(makeDb);

    async function newProject(): Promise<Uuid> {
      const [project] = await suite.db.rpc('create_project', { p_name: `pricing ${name}`, p_settings: {} });
      return project!.id;
    }

    it('ships default prices with their source and the date they were read', async () => {
      const rows = await suite.db.rpc('list_model_prices', { p_project_id: await newProject() });
      expect(rows.length).toBeGreaterThanOrEqual(10);
      expect(rows.every((r) => r.origin === 'default' && r.source?.startsWith('https://') && r.read_at === '2026-12-01')).toBe(true);
      const gpt4o = rows.find((r) => r.model === 'gpt-4o')!;
      expect(gpt4o).toMatchObject({ input_per_mtok: 2.5, output_per_mtok: 10, cache_read_per_mtok: 1.25, pattern: 'gpt-4o-*' });
      expect(gpt4o.aliases).toContain('gpt-4o-2024-08-06');
      const gemini = rows.find((r) => r.model === 'gemini-2.5-pro')!;
      expect(gemini.tiers).toEqual([{ aboveInputTokens: 200000, rates: { inputPerMtok: 2.5, outputPerMtok: 15, cacheReadPerMtok: 0.25 } }]);
      // Two dated prices of one model: the later one applies from its date on.
      expect(rows.filter((r) => r.model === 'claude-sonnet-5-5').map((r) => [r.effective_from.slice(0, 10), r.cache_read_per_mtok])).toEqual([
        ['2026-01-01', 0.2],
        ['2026-10-07', 0.1],
      ]);
    });

    it('replaces a project\'s own prices as a whole, lists them first, and keeps another project\'s apart', async () => {
      const [a, b] = [await newProject(), await newProject()];
      const price = { model: 'gpt-4o', input_per_mtok: 2, output_per_mtok: 8 };
      const stored = await suite.db.rpc('replace_project_prices', { p_project_id: a, p_prices: [price, { model: 'in-house-7b', input_per_mtok: 0.1, output_per_mtok: 0.1, tiers: [{ aboveInputTokens: 1000, rates: { inputPerMtok: 0.2 } }] }] });
      expect(stored.map((r) => [r.origin, r.model, r.effective_from.slice(0, 4)])).toEqual([['project', 'gpt-4o', '1970'], ['project', 'in-house-7b', '1970']]);
      const listed = await suite.db.rpc('list_model_prices', { p_project_id: a });
      expect(listed.slice(0, 2).map((r) => r.model)).toEqual(['gpt-4o', 'in-house-7b']);
      expect((await suite.db.rpc('list_model_prices', { p_project_id: b })).some((r) => r.origin === 'project')).toBe(false);
      // The table as ingest sees it: the project's gpt-4o wins, the default still prices the rest.
      const index = createPriceIndex(listed.map(priceView).map(priceFromView));
      expect(index.find('gpt-4o-2024-08-06', Date.now())?.rates.inputPerMtok).toBe(2);
      expect(index.find('gpt-4o-mini', Date.now())?.origin).toBe('default');

      expect(await suite.db.rpc('replace_project_prices', { p_project_id: a, p_prices: [] })).toEqual([]);
      expect((await suite.db.rpc('list_model_prices', { p_project_id: a })).some((r) => r.origin === 'project')).toBe(false);
    });

    it('refuses a second price of one model from the same date, and keeps the set it had', async () => {
      const projectId = await newProject();
      await suite.db.rpc('replace_project_prices', { p_project_id: projectId, p_prices: [{ model: 'm', input_per_mtok: 1, output_per_mtok: 1 }] });
      const twice = { model: 'x', effective_from: '2026-01-01T00:00:00Z', input_per_mtok: 1, output_per_mtok: 1 };
      expect((await rejection(suite.db.rpc('replace_project_prices', { p_project_id: projectId, p_prices: [twice, twice] }))).sqlState).toBe('23505');
      expect((await suite.db.rpc('list_model_prices', { p_project_id: projectId })).filter((r) => r.origin === 'project').map((r) => r.model)).toEqual(['m']);
      expect((await rejection(suite.db.rpc('replace_project_prices', { p_project_id: crypto.randomUUID(), p_prices: [] }))).sqlState).toBe('23503');
    });

    it('stores token parts and the cost source, and lists them with the run', async () => {
      const projectId = await newProject();
      await suite.db.rpc('ingest_runs', {
        p_project_id: projectId,
        p_runs: [run({ input_tokens: 1000, cache_read_tokens: 600, cache_write_tokens: 100, output_tokens: 300, reasoning_tokens: 200, cost_source: 'computed' })],
      });
      const [listed] = await suite.db.rpc('list_model_runs', { p_project_id: projectId, p_limit: 1, p_before_created_at: null, p_before_id: null });
      expect(listed).toMatchObject({ input_tokens: 1000, cache_read_tokens: 600, cache_write_tokens: 100, output_tokens: 300, reasoning_tokens: 200, cost_source: 'computed' });
      // Without parts or a source, as clients of 0005 sent them: zeros and 'client'.
      await suite.db.rpc('ingest_runs', { p_project_id: projectId, p_runs: [run()] });
      const [plain] = await suite.db.rpc('list_model_runs', { p_project_id: projectId, p_limit: 1, p_before_created_at: null, p_before_id: null });
      expect(plain).toMatchObject({ cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_source: 'client' });
    });

    it('refuses parts above their totals and an unknown cost source, storing nothing of the batch', async () => {
      const projectId = await newProject();
      for (const bad of [
        run({ input_tokens: 100, cache_read_tokens: 80, cache_write_tokens: 21 }),
        run({ output_tokens: 10, reasoning_tokens: 11 }),
        run({ cache_read_tokens: -1 }),
        run({ cost_source: 'guessed' as 'client' }),
      ]) {
        expect((await rejection(suite.db.rpc('ingest_runs', { p_project_id: projectId, p_runs: [run(), bad] }))).sqlState).toBe('23514');
      }
      expect(await suite.db.rpc('list_model_runs', { p_project_id: projectId, p_limit: 10, p_before_created_at: null, p_before_id: null })).toEqual([]);
    });

    it('counts runs of models no price matched per project, once per inserted run', async () => {
      const [a, b] = [await newProject(), await newProject()];
      const now = Date.now();
      const unknown = (id: string, model: string, at: number) => run({ id, model, cost_usd: 0, cost_source: 'unknown_model', created_at: iso(at) });
      const ids = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
      await suite.db.rpc('ingest_runs', { p_project_id: a, p_runs: [unknown(ids[0]!, 'acme-llm', now - 60_000), unknown(ids[1]!, 'acme-llm', now), unknown(ids[2]!, 'zeta-1', now), run()] });
      // A retried batch adds nothing.
      await suite.db.rpc('ingest_runs', { p_project_id: a, p_runs: [unknown(ids[0]!, 'acme-llm', now - 60_000)] });
      const rows = await suite.db.rpc('list_unknown_models', { p_project_id: a });
      expect(rows.map((r) => [r.model, r.runs])).toEqual([['acme-llm', 2], ['zeta-1', 1]]);
      expect(Date.parse(rows[0]!.first_seen_at)).toBe(now - 60_000);
      expect(Date.parse(rows[0]!.last_seen_at)).toBe(now);
      expect(await suite.db.rpc('list_unknown_models', { p_project_id: b })).toEqual([]);
    });

    it('prices a run from the price of its own time, so a later price never reaches back', async () => {
      const projectId = await newProject();
      await suite.db.rpc('replace_project_prices', {
        p_project_id: projectId,
        p_prices: [
          { model: 'house-model', effective_from: '2026-01-01T00:00:00Z', input_per_mtok: 1, output_per_mtok: 1 },
          { model: 'house-model', effective_from: '2026-06-01T00:00:00Z', input_per_mtok: 3, output_per_mtok: 3 },
        ],
      });
      const index = createPriceIndex((await suite.db.rpc('list_model_prices', { p_project_id: projectId })).map(priceView).map(priceFromView));
      const usage = { model: 'house-model', inputTokens: 1000, outputTokens: 0 };
      // 1000 × 1 µ$ before June; 1000 × 3 µ$ from June.
      expect(priceRun(index, usage, Date.parse('2026-05-31T23:00:00Z'))).toEqual({ costUsd: 0.001, costSource: 'computed' });
      expect(priceRun(index, usage, Date.parse('2026-06-01T00:00:00Z'))).toEqual({ costUsd: 0.003, costSource: 'computed' });
      expect(priceRun(index, { ...usage, model: 'nobody-knows' }, Date.now())).toEqual({ costUsd: 0, costSource: 'unknown_model' });
      expect(priceRun(index, { ...usage, costUsd: 0.5 }, Date.now())).toEqual({ costUsd: 0.5, costSource: 'client' });
    });
  });
}
