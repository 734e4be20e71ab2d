import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../lib/kv/index.js';
import { createTestApp, rowCounts, type TestApp, type TestProject } from '../support/app.js';

/**
 * The prompt registry through the real api/ modules on PGlite: prompts with
 * immutable numbered versions, labels moved atomically with their history
 * (a rollback is a move back), production never on a deprecated version,
 * rendering that names missing and unknown variables, and the fetch by label
 * served from the cache with ETag/304, a move seen by a second instance
 * within the generation bound.
 */
let app: TestApp;
let p: TestProject;

interface Version {
  name: string;
  version: number;
  promptVersion: string;
  status: string;
  template: string | null;
  messages: { role: string; content: string }[] | null;
  variables: string[];
  config: Record<string, unknown>;
  commitMessage: string | null;
  labels: string[];
  latestVersion: number;
  createdBy: string | null;
}

const post = (path: string, json: unknown, project = p, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', key: project.key, json, headers });
const put = (path: string, json: unknown, project = p, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'PUT', key: project.key, json, headers });
const get = (path: string, project = p, headers: Record<string, string> = {}) => app.request(path, { key: project.key, headers });
const body = async <T = Version>(res: Response) => (await res.json()) as T;

async function createTriage(name: string, project = p) {
  const res = await post(
    '/api/iris/prompts',
    {
      name,
      description: 'Sorts support tickets',
      template: 'You triage tickets for {{team}}. Ticket: {{ ticket }}',
      config: { model: 'gpt-4o-mini', temperature: 0 },
      commitMessage: 'first cut',
      status: 'active',
      labels: ['production'],
    },
    project,
  );
  expect(res.status).toBe(201);
  return body(res);
}

beforeAll(async () => {
  app = await createTestApp();
  p = await app.createProject('Prompts');
});
afterAll(() => app.close());

describe('POST /api/iris/prompts', () => {
  it('creates a prompt with version 1, its variables found in the template, labelled as asked', async () => {
    const v = await createTriage('triage');
    expect(v).toMatchObject({
      name: 'triage',
      version: 1,
      promptVersion: 'triage@1',
      status: 'active',
      variables: ['team', 'ticket'],
      config: { model: 'gpt-4o-mini', temperature: 0 },
      commitMessage: 'first cut',
      labels: ['production'],
      latestVersion: 1,
      createdBy: `key:${p.keyId}`,
    });
  });

  it('refuses a second prompt of the same name with a 409 and stores nothing', async () => {
    await createTriage('dup');
    const before = await rowCounts(app.db);
    const res = await post('/api/iris/prompts', { name: 'dup', template: 'x' });
    expect(res.status).toBe(409);
    expect((await body<{ error: { code: string } }>(res)).error.code).toBe('prompt_exists');
    expect(await rowCounts(app.db)).toEqual(before);
  });

  it('refuses a template that uses a variable it does not declare, and a body with both template and messages', async () => {
    const undeclared = await post('/api/iris/prompts', { name: 'undeclared', template: 'Hi {{name}} {{x}}', variables: ['name'] });
    expect(undeclared.status).toBe(422);
    expect(await undeclared.text()).toContain('undeclared variables: x');
    const both = await post('/api/iris/prompts', { name: 'both', template: 'a', messages: [{ role: 'user', content: 'b' }] });
    expect(both.status).toBe(422);
  });

  it('refuses a deprecated first version labelled production, storing neither the prompt nor the version', async () => {
    const before = await rowCounts(app.db);
    const res = await post('/api/iris/prompts', { name: 'born-deprecated', template: 'x', status: 'deprecated', labels: ['production'] });
    expect(res.status).toBe(409);
    expect((await body<{ error: { code: string } }>(res)).error.code).toBe('production_on_deprecated');
    expect(await rowCounts(app.db)).toEqual(before);
    expect((await get('/api/iris/prompts/born-deprecated')).status).toBe(404);
  });

  it('stores a retried create with the same Idempotency-Key once', async () => {
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const json = { name: 'retried', template: 'Hello' };
    const first = await post('/api/iris/prompts', json, p, headers);
    const again = await post('/api/iris/prompts', json, p, headers);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const versions = await body<{ data: Version[] }>(await get('/api/iris/prompts/retried/versions'));
    expect(versions.data.map((v) => v.version)).toEqual([1]);
  });

  it('lists the project’s prompts with their newest version and labels', async () => {
    const list = await body<{ data: { name: string; latestVersion: number; labels: Record<string, number> }[] }>(await get('/api/iris/prompts'));
    expect(list.data.find((x) => x.name === 'triage')).toMatchObject({ latestVersion: 1, labels: { production: 1 } });
  });
});

describe('versions', () => {
  it('numbers new versions in order, never changing an earlier one', async () => {
    await createTriage('versioned');
    const v2 = await body(await post('/api/iris/prompts/versioned/versions', { template: 'v2 for {{team}}', labels: ['staging'] }));
    const v3 = await body(
      await post('/api/iris/prompts/versioned/versions', {
        messages: [
          { role: 'system', content: 'v3 {{team}}' },
          { role: 'user', content: '{{ticket}}' },
        ],
      }),
    );
    expect([v2.version, v3.version]).toEqual([2, 3]);
    expect(v3).toMatchObject({ variables: ['team', 'ticket'], status: 'draft', latestVersion: 3, template: null });
    const v1 = await body(await get('/api/iris/prompts/versioned?version=1'));
    expect(v1).toMatchObject({ template: 'You triage tickets for {{team}}. Ticket: {{ ticket }}', labels: ['production'], latestVersion: 3 });
    const list = await body<{ data: Version[] }>(await get('/api/iris/prompts/versioned/versions'));
    expect(list.data.map((v) => v.version)).toEqual([3, 2, 1]);
  });

  it('refuses any change to a version’s content, even from SQL: versions are immutable', async () => {
    await expect(app.db.query(`update prompt_versions set template = 'tampered' where version = 1`)).rejects.toThrow(/immutable/);
    const v1 = await body(await get('/api/iris/prompts/versioned?version=1'));
    expect(v1.template).not.toBe('tampered');
  });

  it('moves the lifecycle status, and refuses deprecating the version production points at', async () => {
    const patch = (version: number, status: string) =>
      app.request(`/api/iris/prompts/versioned/versions/${version}`, { method: 'PATCH', key: p.key, json: { status } });
    const testing = await patch(2, 'testing');
    expect(testing.status).toBe(200);
    expect((await body(testing)).status).toBe('testing');
    const refused = await patch(1, 'deprecated');
    expect(refused.status).toBe(409);
    expect((await body<{ error: { code: string } }>(refused)).error.code).toBe('production_on_deprecated');
    expect((await body(await get('/api/iris/prompts/versioned?version=1'))).status).toBe('active');
  });

  it('answers 404 for a prompt, label or version that does not exist', async () => {
    const codes = async (path: string) => (await body<{ error: { code: string } }>(await get(path))).error.code;
    expect(await codes('/api/iris/prompts/ghost')).toBe('prompt_not_found');
    expect(await codes('/api/iris/prompts/versioned?label=nope')).toBe('label_not_found');
    expect(await codes('/api/iris/prompts/versioned?version=99')).toBe('version_not_found');
    expect((await post('/api/iris/prompts/ghost/versions', { template: 'x' })).status).toBe(404);
  });
});

describe('PUT /api/iris/prompts/{name}/labels/{label}', () => {
  it('moves production and back, recording every move with who, from and to, so a rollback is a move back', async () => {
    await createTriage('rollback');
    await post('/api/iris/prompts/rollback/versions', { template: 'better {{team}} {{ticket}}', status: 'active' });
    const forward = await put('/api/iris/prompts/rollback/labels/production', { version: 2, reason: 'ship v2' });
    expect(forward.status).toBe(200);
    expect(await body(forward)).toMatchObject({ label: 'production', version: 2, previousVersion: 1, moved: true, movedBy: `key:${p.keyId}` });
    expect((await body(await get('/api/iris/prompts/rollback'))).version).toBe(2);
    const back = await body(await put('/api/iris/prompts/rollback/labels/production', { version: 1, reason: 'v2 regressed' }));
    expect(back).toMatchObject({ version: 1, previousVersion: 2, moved: true });
    expect((await body(await get('/api/iris/prompts/rollback'))).version).toBe(1);
    const history = await body<{ version: number; moves: { fromVersion: number | null; toVersion: number; reason: string }[] }>(
      await get('/api/iris/prompts/rollback/labels/production'),
    );
    expect(history.version).toBe(1);
    expect(history.moves.map((m) => [m.fromVersion, m.toVersion, m.reason])).toEqual([
      [2, 1, 'v2 regressed'],
      [1, 2, 'ship v2'],
      [null, 1, 'new version'],
    ]);
  });

  it('answers a move to where the label already points without recording a move', async () => {
    await createTriage('still');
    const before = await rowCounts(app.db);
    const res = await body(await put('/api/iris/prompts/still/labels/production', { version: 1 }));
    expect(res).toMatchObject({ moved: false, previousVersion: 1 });
    expect(await rowCounts(app.db)).toEqual(before);
  });

  it('refuses production on a deprecated version, a version that does not exist and the label latest, changing nothing', async () => {
    await createTriage('guarded');
    await post('/api/iris/prompts/guarded/versions', { template: 'old', status: 'deprecated' });
    const before = await rowCounts(app.db);
    const deprecated = await put('/api/iris/prompts/guarded/labels/production', { version: 2 });
    expect(deprecated.status).toBe(409);
    expect((await put('/api/iris/prompts/guarded/labels/production', { version: 9 })).status).toBe(404);
    expect((await put('/api/iris/prompts/guarded/labels/latest', { version: 1 })).status).toBe(422);
    expect((await put('/api/iris/prompts/guarded/labels/Bad%20Label', { version: 1 })).status).toBe(422);
    expect(await rowCounts(app.db)).toEqual(before);
    // Any other label may point at it (to compare with the old one, say).
    expect((await put('/api/iris/prompts/guarded/labels/archive', { version: 2 })).status).toBe(200);
  });

  it('resolves latest to the newest version whatever the labels say', async () => {
    await createTriage('newest');
    await post('/api/iris/prompts/newest/versions', { template: 'two' });
    expect((await body(await get('/api/iris/prompts/newest?label=latest'))).version).toBe(2);
    expect((await body(await get('/api/iris/prompts/newest'))).version).toBe(1);
  });
});

describe('DELETE /api/iris/prompts/{name}/labels/{label}', () => {
  const remove = (path: string, json?: unknown, project = p, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'DELETE', key: project.key, ...(json === undefined ? {} : { json }), headers });

  it('removes a label, so a fetch by it is a 404 at once, keeps its history with the removal, and puts it back with a move', async () => {
    await createTriage('pruned');
    await post('/api/iris/prompts/pruned/versions', { template: 'canary {{team}} {{ticket}}', status: 'testing', labels: ['canary'] });
    // Cached first, so the removal has to reach the copy.
    expect((await body(await get('/api/iris/prompts/pruned?label=canary'))).version).toBe(2);
    const res = await remove('/api/iris/prompts/pruned/labels/canary', { reason: 'canary over' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({
      name: 'pruned',
      label: 'canary',
      version: null,
      previousVersion: 2,
      removed: true,
      movedBy: `key:${p.keyId}`,
      movedAt: expect.any(String),
    });
    const gone = await get('/api/iris/prompts/pruned?label=canary');
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ error: { code: 'label_not_found' } });
    expect((await body(await get('/api/iris/prompts/pruned'))).labels).toEqual(['production']);
    const history = await body<{ version: number | null; moves: { fromVersion: number | null; toVersion: number | null; reason: string | null }[] }>(
      await get('/api/iris/prompts/pruned/labels/canary'),
    );
    expect(history.version).toBeNull();
    expect(history.moves.map((m) => [m.fromVersion, m.toVersion, m.reason])).toEqual([
      [2, null, 'canary over'],
      [null, 2, 'new version'],
    ]);
    // Back with a move to the version it left.
    expect(await body(await put('/api/iris/prompts/pruned/labels/canary', { version: 2 }))).toMatchObject({ version: 2, previousVersion: null, moved: true });
    expect((await body(await get('/api/iris/prompts/pruned?label=canary'))).version).toBe(2);
  });

  it('never removes production, answers 404 for an unknown label or prompt and another project’s, and changes nothing', async () => {
    await createTriage('kept');
    const before = await rowCounts(app.db);
    const production = await remove('/api/iris/prompts/kept/labels/production');
    expect(production.status).toBe(409);
    expect(await production.json()).toMatchObject({ error: { code: 'production_label_required' } });
    for (const path of ['/api/iris/prompts/kept/labels/never-there', '/api/iris/prompts/no-such-prompt/labels/staging']) {
      const res = await remove(path);
      expect(res.status, path).toBe(404);
    }
    const other = await app.createProject('Prompts, other');
    expect((await remove('/api/iris/prompts/kept/labels/production', undefined, other)).status).toBe(409);
    await put('/api/iris/prompts/kept/labels/staging', { version: 1 });
    const after = await rowCounts(app.db);
    expect((await remove('/api/iris/prompts/kept/labels/staging', undefined, other)).status).toBe(404);
    for (const [path, json] of [
      ['/api/iris/prompts/kept/labels/latest', undefined],
      ['/api/iris/prompts/kept/labels/Bad%20Label', undefined],
      ['/api/iris/prompts/kept/labels/staging', { reason: '' }],
      ['/api/iris/prompts/kept/labels/staging', { why: 'x' }],
    ] as const) {
      expect((await remove(path, json)).status, `${path} ${JSON.stringify(json)}`).toBe(422);
    }
    expect(await rowCounts(app.db)).toEqual(after);
    expect(after).not.toEqual(before);
    expect((await body(await get('/api/iris/prompts/kept?label=staging'))).version).toBe(1);
  });

  it('answers a retry with the same Idempotency-Key from the first removal, and a second removal with 404', async () => {
    await createTriage('unlabelled-twice');
    await put('/api/iris/prompts/unlabelled-twice/labels/staging', { version: 1 });
    const headers = { 'idempotency-key': crypto.randomUUID() };
    const first = await remove('/api/iris/prompts/unlabelled-twice/labels/staging', undefined, p, headers);
    const again = await remove('/api/iris/prompts/unlabelled-twice/labels/staging', undefined, p, headers);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect((await remove('/api/iris/prompts/unlabelled-twice/labels/staging')).status).toBe(404);
  });
});

describe('POST /api/iris/prompts/{name}/render', () => {
  it('substitutes the variables of the production version', async () => {
    await createTriage('render');
    const res = await post('/api/iris/prompts/render/render', { variables: { team: 'billing', ticket: 'Refund please' } });
    expect(res.status).toBe(200);
    expect(await body<Record<string, unknown>>(res)).toMatchObject({
      version: 1,
      promptVersion: 'render@1',
      text: 'You triage tickets for billing. Ticket: Refund please',
    });
  });

  it('renders every message of a message-list version', async () => {
    await createTriage('chat');
    await post('/api/iris/prompts/chat/versions', {
      messages: [
        { role: 'system', content: 'Team {{team}}' },
        { role: 'user', content: '{{ticket}}' },
      ],
    });
    const res = await body<{ messages: unknown[] }>(await post('/api/iris/prompts/chat/render', { version: 2, variables: { team: 'ops', ticket: 'Down?' } }));
    expect(res.messages).toEqual([
      { role: 'system', content: 'Team ops' },
      { role: 'user', content: 'Down?' },
    ]);
  });

  it('answers 422 naming the missing and the unknown variables', async () => {
    const res = await post('/api/iris/prompts/render/render', { variables: { team: 'billing', tikcet: 'typo' } });
    expect(res.status).toBe(422);
    const error = (await body<{ error: { code: string; message: string; details: { missing: string[]; unknown: string[] } } }>(res)).error;
    expect(error.code).toBe('invalid_variables');
    expect(error.details).toMatchObject({ missing: ['ticket'], unknown: ['tikcet'] });
    expect(error.message).toContain('missing ticket');
    expect(error.message).toContain('unknown tikcet');
  });
});

describe('the fetch by name and label', () => {
  it('is served from the cache with an ETag, answers 304 to If-None-Match, and private with Vary: Authorization', async () => {
    await createTriage('hot');
    const first = await get('/api/iris/prompts/hot');
    const second = await get('/api/iris/prompts/hot');
    expect(second.headers.get('x-cache')).toBe('HIT-L1');
    expect(second.headers.get('cache-control')).toBe('private, no-cache');
    expect(second.headers.get('vary')).toContain('Authorization');
    const etag = first.headers.get('etag')!;
    expect(second.headers.get('etag')).toBe(etag);
    const revalidated = await get('/api/iris/prompts/hot', p, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
  });

  it('shows a label move at once on the instance that moved it, and on a second instance sharing the KV after the generation check', async () => {
    let now = Date.now();
    const kv = createMemoryKv();
    const one = await createTestApp({ db: app.db, kv, now: () => now });
    const two = await createTestApp({ db: app.db, kv, now: () => now });
    await createTriage('fleet');
    await post('/api/iris/prompts/fleet/versions', { template: 'two', status: 'active' });
    const version = async (t: TestApp) => ((await (await t.request('/api/iris/prompts/fleet', { key: p.key })).json()) as Version).version;
    expect(await version(two)).toBe(1);
    const cached = await two.request('/api/iris/prompts/fleet', { key: p.key });
    expect(cached.headers.get('x-cache')).toBe('HIT-L1');
    expect((await one.request('/api/iris/prompts/fleet/labels/production', { method: 'PUT', key: p.key, json: { version: 2 } })).status).toBe(200);
    expect(await version(one)).toBe(2);
    now += 1_001; // generationCheckMs
    expect(await version(two)).toBe(2);
    for (const t of [one, two]) await t.services.background.drain();
  });
});
