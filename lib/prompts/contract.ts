/**
 * The behaviour suite of migration 0010 (prompts, versions, labels,
 * experiments and their results), run against every SQL engine Iris supports:
 * `runPromptsContract('pglite', makeDb)` in the unit tests, against PostgreSQL
 * 15 in the integration suite. Talks to the database through `rpc()`, and raw
 * SQL only to place an experiment's window and to try what no RPC offers.
 */
import { describe, expect, it } from 'vitest';
import { rejection, suiteDb } from '../db/testing.js';
import type { Db, RunInput, Uuid } from '../db/types.js';

const version = (overrides: Record<string, unknown> = {}) => ({
  p_template: 'Hi {{name}}',
  p_messages: null,
  p_variables: ['name'],
  p_config: { model: 'gpt-4o-mini' },
  p_commit_message: null,
  p_status: 'active' as const,
  p_labels: [] as string[],
  p_actor: 'key:contract',
  ...overrides,
});

function run(overrides: Partial<RunInput>): RunInput {
  return { expert_id: 'e', model: 'm', input_tokens: 10, output_tokens: 5, cost_usd: 0.001, latency_ms: 100, outcome: 'success', ...overrides };
}

/** Registers the suite for one database; `makeDb` returns a migrated database. */
export function runPromptsContract(name: string, makeDb: () => Promise<Db>): void {
  describe(`prompts contract: ${name}`, () => {
    const suite = suiteDb(makeDb);

    async function newProject(): Promise<Uuid> {
      const [project] = await suite.db.rpc('create_project', { p_name: `prompts ${name}`, p_settings: {} });
      return project!.id;
    }
    const createPrompt = (projectId: Uuid, promptName: string, overrides: Record<string, unknown> = {}) =>
      suite.db.rpc('create_prompt', { p_project_id: projectId, p_name: promptName, p_description: '', ...version(overrides) });
    const addVersion = (projectId: Uuid, promptName: string, overrides: Record<string, unknown> = {}) =>
      suite.db.rpc('create_prompt_version', { p_project_id: projectId, p_name: promptName, ...version(overrides) });

    it('numbers concurrent new versions of one prompt 2, 3, 4, ... without a gap or a repeat', async () => {
      const projectId = await newProject();
      await createPrompt(projectId, 'race');
      const rows = await Promise.all(Array.from({ length: 8 }, () => addVersion(projectId, 'race')));
      expect(rows.map(([r]) => r!.version).sort((x, y) => x! - y!)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('refuses any UPDATE of a version’s content, and allows only its status to move', async (ctx) => {
      const sql = suite.sqlOrSkip(ctx);
      const projectId = await newProject();
      await createPrompt(projectId, 'frozen');
      const error = await rejection(
        sql.query(`update prompt_versions v set config = '{}' from prompts p where p.id = v.prompt_id and p.project_id = $1`, [projectId]),
      );
      expect(error.sqlState).toBe('23514');
      const [moved] = await suite.db.rpc('set_prompt_version_status', { p_project_id: projectId, p_name: 'frozen', p_version: 1, p_status: 'testing' });
      expect(moved).toMatchObject({ outcome: 'updated', status: 'testing', config: { model: 'gpt-4o-mini' } });
    });

    it('records every label move with where it came from, and refuses production on a deprecated version', async () => {
      const projectId = await newProject();
      await createPrompt(projectId, 'labels', { p_labels: ['production'] });
      await addVersion(projectId, 'labels', { p_status: 'deprecated' });
      await addVersion(projectId, 'labels');
      const move = (label: string, v: number) =>
        suite.db.rpc('move_prompt_label', { p_project_id: projectId, p_name: 'labels', p_label: label, p_version: v, p_actor: 'key:x', p_reason: null });
      expect((await move('production', 2))[0]!.outcome).toBe('deprecated_production');
      expect((await move('production', 3))[0]).toMatchObject({ outcome: 'moved', previous_version: 1 });
      expect((await move('production', 1))[0]).toMatchObject({ outcome: 'moved', previous_version: 3 });
      expect((await move('production', 9))[0]!.outcome).toBe('version_not_found');
      const [deprecate] = await suite.db.rpc('set_prompt_version_status', { p_project_id: projectId, p_name: 'labels', p_version: 1, p_status: 'deprecated' });
      expect(deprecate!.outcome).toBe('deprecated_production');
      const history = await suite.db.rpc('list_prompt_label_moves', { p_project_id: projectId, p_name: 'labels', p_label: 'production', p_limit: 10 });
      expect(history.map((m) => [m.from_version, m.to_version])).toEqual([
        [3, 1],
        [1, 3],
        [null, 1],
      ]);
      const [resolved] = await suite.db.rpc('get_prompt_version', { p_project_id: projectId, p_name: 'labels', p_label: null, p_version: null });
      expect(resolved).toMatchObject({ outcome: 'found', version: 1, labels: ['production'], latest_version: 3 });
    });

    it('keeps at most 20 labels per prompt', async () => {
      const projectId = await newProject();
      await createPrompt(projectId, 'many');
      const outcomes = [];
      for (let i = 0; i < 21; i++) {
        const [row] = await suite.db.rpc('move_prompt_label', {
          p_project_id: projectId,
          p_name: 'many',
          p_label: `l${i}`,
          p_version: 1,
          p_actor: 'k',
          p_reason: null,
        });
        outcomes.push(row!.outcome);
      }
      expect(outcomes.slice(0, 20).every((o) => o === 'moved')).toBe(true);
      expect(outcomes[20]).toBe('too_many_labels');
    });

    it('removes a label with a recorded move to no version, frees its place, and never removes production', async () => {
      const projectId = await newProject();
      await createPrompt(projectId, 'removable', { p_labels: ['production', 'staging'] });
      await addVersion(projectId, 'removable');
      const remove = (label: string, project = projectId, prompt = 'removable') =>
        suite.db.rpc('remove_prompt_label', { p_project_id: project, p_name: prompt, p_label: label, p_actor: 'key:remover', p_reason: 'retired' });
      const move = (label: string, v: number) =>
        suite.db.rpc('move_prompt_label', { p_project_id: projectId, p_name: 'removable', p_label: label, p_version: v, p_actor: 'key:x', p_reason: null });
      await move('staging', 2);

      const [removed] = await remove('staging');
      expect(removed).toMatchObject({ outcome: 'removed', label: 'staging', previous_version: 2, moved_by: 'key:remover', moved_at: expect.anything() });
      const fetched = await suite.db.rpc('get_prompt_version', { p_project_id: projectId, p_name: 'removable', p_label: 'staging', p_version: null });
      expect(fetched[0]?.outcome).toBe('label_not_found');
      const history = await suite.db.rpc('list_prompt_label_moves', { p_project_id: projectId, p_name: 'removable', p_label: 'staging', p_limit: 10 });
      expect(history.map((m) => [m.from_version, m.to_version, m.moved_by, m.reason])).toEqual([
        [2, null, 'key:remover', 'retired'],
        [1, 2, 'key:x', null],
        [null, 1, 'key:contract', 'new version'],
      ]);
      expect((await suite.db.rpc('list_prompts', { p_project_id: projectId }))[0]!.labels).toEqual({ production: 1 });

      // Gone once: a second removal finds nothing, and records nothing.
      expect((await remove('staging'))[0]!.outcome).toBe('label_not_found');
      expect(await suite.db.rpc('list_prompt_label_moves', { p_project_id: projectId, p_name: 'removable', p_label: 'staging', p_limit: 10 })).toHaveLength(3);
      // Production stays; another project, an unknown prompt or label change nothing.
      expect((await remove('production'))[0]!.outcome).toBe('production_label');
      expect((await remove('production', await newProject()))[0]!.outcome).toBe('production_label');
      expect((await remove('staging', await newProject()))[0]!.outcome).toBe('prompt_not_found');
      expect((await remove('nope', projectId, 'no-such-prompt'))[0]!.outcome).toBe('prompt_not_found');
      expect((await remove('never-there'))[0]!.outcome).toBe('label_not_found');
      const [resolved] = await suite.db.rpc('get_prompt_version', { p_project_id: projectId, p_name: 'removable', p_label: null, p_version: null });
      expect(resolved).toMatchObject({ outcome: 'found', version: 1, labels: ['production'] });
      // Putting it back is a move, from nothing.
      expect((await move('staging', 1))[0]).toMatchObject({ outcome: 'moved', previous_version: null });
    });

    it('frees a place under the 20-label cap when a label is removed', async () => {
      const projectId = await newProject();
      await createPrompt(projectId, 'full');
      const move = (label: string) =>
        suite.db.rpc('move_prompt_label', { p_project_id: projectId, p_name: 'full', p_label: label, p_version: 1, p_actor: 'k', p_reason: null });
      for (let i = 0; i < 20; i++) expect((await move(`l${i}`))[0]!.outcome).toBe('moved');
      expect((await move('one-more'))[0]!.outcome).toBe('too_many_labels');
      await suite.db.rpc('remove_prompt_label', { p_project_id: projectId, p_name: 'full', p_label: 'l7', p_actor: 'k', p_reason: null });
      expect((await move('one-more'))[0]!.outcome).toBe('moved');
    });

    it('runs each prompt and experiment write under write_once: a replay stores nothing twice', async () => {
      const projectId = await newProject();
      const call = () =>
        suite.db.rpc('write_once', {
          p_scope: projectId,
          p_key_hash: 'a'.repeat(64),
          p_fingerprint: 'b'.repeat(64),
          p_ttl_seconds: 3600,
          p_rpc: 'create_prompt',
          p_args: { p_project_id: projectId, p_name: 'once', p_description: '', ...version({ p_messages: null, p_labels: ['production'] }) },
          p_sealed: null,
        });
      const [first] = await call();
      const [again] = await call();
      expect([first!.outcome, again!.outcome]).toEqual(['stored', 'replayed']);
      expect(again!.result).toEqual(first!.result);
      expect(await suite.db.rpc('list_prompt_versions', { p_project_id: projectId, p_name: 'once' })).toHaveLength(1);
    });

    it('sums each variant’s runs in the experiment’s window exactly as the raw runs do, ragged ends included', async (ctx) => {
      const sql = suite.sqlOrSkip(ctx);
      const projectId = await newProject();
      await createPrompt(projectId, 'exp');
      await addVersion(projectId, 'exp');
      const variants = [
        { name: 'control', weight: 1, runTag: 'exp@1', prompt: { name: 'exp', version: 1 }, payload: null },
        { name: 'treatment', weight: 1, runTag: 'exp@2', prompt: { name: 'exp', version: 2 }, payload: null },
      ];
      const [created] = await suite.db.rpc('create_experiment', {
        p_project_id: projectId,
        p_key: 'exact',
        p_name: 'Exact',
        p_description: '',
        p_variants: variants,
        p_control: 'control',
        p_primary_metric: 'success_rate',
        p_guardrail_metrics: ['mean_latency'],
        p_salt: 'exact',
        p_status: 'running',
      });
      expect(created!.outcome).toBe('created');
      const hour = 3_600_000;
      const base = Math.floor(Date.now() / hour) * hour - 50 * hour;
      const from = new Date(base + 17 * 60_000 + 123);
      const to = new Date(base + 30 * hour + 41 * 60_000);
      await sql.query(`update experiments set started_at = $2, ended_at = $3 where project_id = $1 and key = 'exact'`, [
        projectId,
        from.toISOString(),
        to.toISOString(),
      ]);
      const runs: RunInput[] = [];
      for (let i = 0; i < 400; i++) {
        const at = base - 2 * hour + i * 9 * 60_000 + (i % 13) * 1000;
        runs.push(
          run({
            prompt_version: i % 3 === 0 ? 'exp@2' : 'exp@1',
            created_at: new Date(at).toISOString(),
            outcome: i % 4 === 0 ? 'failure' : 'success',
            latency_ms: 100 + (i % 17) * 3.5,
            cost_usd: 0.000001 * (i % 11),
            confidence: i % 5 === 0 ? null : (i % 10) / 10,
          }),
        );
      }
      runs.push(run({ prompt_version: 'other', created_at: new Date(base + hour).toISOString() }));
      await suite.db.rpc('ingest_runs', { p_project_id: projectId, p_runs: runs });
      const got = await suite.db.rpc('experiment_results', { p_project_id: projectId, p_key: 'exact' });
      const inWindow = runs.filter((r) => Date.parse(r.created_at!) >= from.getTime() && Date.parse(r.created_at!) < to.getTime());
      for (const [i, tag] of ['exp@1', 'exp@2'].entries()) {
        const mine = inWindow.filter((r) => r.prompt_version === tag);
        const row = got[i]!;
        expect(row).toMatchObject({ variant: i === 0 ? 'control' : 'treatment', run_tag: tag });
        expect(Number(row.runs)).toBe(mine.length);
        expect(Number(row.successes)).toBe(mine.filter((r) => r.outcome === 'success').length);
        expect(Number(row.confidence_n)).toBe(mine.filter((r) => r.confidence != null).length);
        const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
        close(
          Number(row.latency_ms_sum),
          mine.reduce((s, r) => s + r.latency_ms, 0),
        );
        close(
          Number(row.latency_ms_sq),
          mine.reduce((s, r) => s + r.latency_ms ** 2, 0),
        );
        close(
          Number(row.cost_usd),
          mine.reduce((s, r) => s + r.cost_usd, 0),
        );
        close(
          Number(row.confidence_sum),
          mine.reduce((s, r) => s + Math.fround(r.confidence ?? 0), 0),
        );
      }
      expect(new Date(got[0]!.window_from).getTime()).toBe(from.getTime());
    });

    it('never lets one project read or change another project’s prompt or experiment', async () => {
      const mine = await newProject();
      const theirs = await newProject();
      await createPrompt(theirs, 'private', { p_labels: ['production'] });
      expect((await suite.db.rpc('get_prompt_version', { p_project_id: mine, p_name: 'private', p_label: null, p_version: null }))[0]!.outcome).toBe(
        'prompt_not_found',
      );
      expect(
        (
          await suite.db.rpc('move_prompt_label', { p_project_id: mine, p_name: 'private', p_label: 'production', p_version: 1, p_actor: 'k', p_reason: null })
        )[0]!.outcome,
      ).toBe('prompt_not_found');
      expect(await suite.db.rpc('list_prompt_versions', { p_project_id: mine, p_name: 'private' })).toEqual([]);
      const [refused] = await suite.db.rpc('create_experiment', {
        p_project_id: mine,
        p_key: 'steal',
        p_name: 'x',
        p_description: '',
        p_variants: [
          { name: 'a', weight: 1, runTag: 'private@1', prompt: { name: 'private', version: 1 }, payload: null },
          { name: 'b', weight: 1, runTag: 'b', prompt: null, payload: null },
        ],
        p_control: 'a',
        p_primary_metric: 'success_rate',
        p_guardrail_metrics: [],
        p_salt: 's',
        p_status: 'draft',
      });
      expect(refused!.outcome).toBe('prompt_version_not_found');
    });
  });
}
