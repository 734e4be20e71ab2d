/**
 * Every README block that calls curl, pasted into a shell against the real
 * local server: each curl's status is recorded (a `curl` function appends it)
 * and none may be an error. The blocks with their own, stricter test
 * (readme-conditional-get, readme-lifecycle, readme-webhooks) are run there;
 * this one catches any other example that drifts, such as the bare
 * `curl -X POST` that answered 415 (issue 10). Placeholders (`<project id>`,
 * `<key id>`) get real ids, one key for the revoke line and one for the rotate line.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPrefix, generateApiKey, sha256Hex } from '../../lib/auth/index.js';
import { seedDemo } from '../../lib/seed/index.js';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { ADMIN_TOKEN, API_DIR, createTestApp, type TestApp } from '../support/app.js';
import { readmeCurlBlocks } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl grep cut tr head date']).status === 0;
const CRON_SECRET = 'readme-cron-secret-0123456789';
/** Markers of the blocks other README tests run with their own assertions. */
const COVERED_ELSEWHERE = ['If-None-Match', 'Idempotency-Key', 'HOOK=', '/api/cron/'];

describe.skipIf(!hasShellTools)("README's curl examples", () => {
  let app: TestApp;
  let server: LocalServer;
  const project = { id: '', key: generateApiKey() };

  beforeAll(async () => {
    app = await createTestApp({ env: { CRON_SECRET } });
    // As `npm run dev` seeds it for a new user (fewer runs): the demo project, its experts and a key.
    project.id = (await seedDemo(app.db, { runs: 2_000 })).projectId;
    await app.db.rpc('create_api_key', {
      p_project_id: project.id,
      p_key_hash: await sha256Hex(project.key),
      p_prefix: displayPrefix(project.key),
      p_label: 'readme',
    });
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
  }, 60_000);
  afterAll(() => server.close());

  const blocks = readmeCurlBlocks().filter((b) => !COVERED_ELSEWHERE.some((marker) => b.includes(marker)));

  it('finds the examples to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it.each(
    blocks.map((block) => [
      block
        .split('\n')
        .find((l) => l.includes('curl'))!
        .trim()
        .slice(0, 90),
      block,
    ]),
  )('answers %s and every other curl of its block without an error status', async (_, block) => {
    const keys = await Promise.all(
      [0, 1].map(async () => {
        const res = await app.request('/api/admin/api-keys', { method: 'POST', key: ADMIN_TOKEN, json: { projectId: project.id } });
        return ((await res.json()) as { id: string }).id;
      }),
    );
    const script = block
      .split('\n')
      .map((line) => (line.includes('/revoke') ? line.replace('<key id>', keys[0]!) : line.includes('/rotate') ? line.replace('<key id>', keys[1]!) : line))
      .join('\n')
      .replaceAll('<project id>', project.id);
    // Each curl also prints its status on a line of its own, so pipes into grep or head keep most of them.
    // Last, so it wins over an example's own -w.
    const wrapper = `curl() { command curl "$@" -w '\\nREADME-STATUS %{http_code}\\n'; }\n${script}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', wrapper], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, IRIS_ADMIN_TOKEN: ADMIN_TOKEN, CRON_SECRET },
      timeout: 30_000,
    });
    const statuses = [...stdout.matchAll(/README-STATUS (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses.length, stdout).toBeGreaterThan(0);
    expect(
      statuses.filter((s) => s >= 400),
      stdout,
    ).toEqual([]);
  });
});
