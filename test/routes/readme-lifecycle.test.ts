/**
 * README's idempotency and retention examples, pasted into a shell as
 * written, against the real local server: they must do what the README says.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { API_DIR, createTestApp, type TestProject } from '../support/app.js';
import { readmeBlock } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl grep']).status === 0;
const CRON_SECRET = 'cron-secret-for-the-readme-test';


describe.skipIf(!hasShellTools)("README's retry and retention examples", () => {
  let server: LocalServer;
  let project: TestProject;
  const shell = async (script: string) =>
    (
      await promisify(execFile)('bash', ['-c', script], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, CRON_SECRET },
        timeout: 20_000,
      })
    ).stdout;

  beforeAll(async () => {
    const app = await createTestApp({ env: { CRON_SECRET } });
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
    project = await app.createProject('Readme');
  });
  afterAll(() => server.close());

  it('stores the run once, replays the second answer, and counts the keyless repeat as a duplicate', async () => {
    const out = await shell(readmeBlock('Idempotency-Key: \\"$KEY\\"'));
    const lines = out.trim().split('\n').map((l) => l.trim());
    expect(lines.filter((l) => /^HTTP\/1\.1 201/.test(l)), out).toHaveLength(2);
    expect(lines.filter((l) => /^idempotent-replayed: true$/i.test(l)), out).toHaveLength(1);
    expect(lines.filter((l) => l === '{"inserted":1,"duplicates":0}'), out).toHaveLength(2);
    expect(lines.at(-1), out).toBe('{"inserted":0,"duplicates":1}');
  });

  it('runs the retention sweep with the cron secret', async () => {
    const out = await shell(readmeBlock('$IRIS/api/cron/retention'));
    expect(JSON.parse(out), out).toMatchObject({ outcome: 'complete', deleted: { model_runs: 0, run_rollups: 0, idempotency_keys: 0 } });
  });
});
