/**
 * README's webhook examples, pasted into a shell as written (the receiver's
 * port aside: a free one instead of 4000), against the real local server in
 * local mode, as `npm run dev` runs: they must do what the README says.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { freePort } from '../integration/harness/free-port.js';
import { API_DIR, createTestApp, type TestProject } from '../support/app.js';
import { readmeBlock } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl grep cut']).status === 0;
const CRON_SECRET = 'cron-secret-for-the-readme-webhooks';
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(!hasShellTools)("README's webhook examples", () => {
  let server: LocalServer;
  let project: TestProject;
  /** stdout holds curl's answers only; the receiver reports on stderr, so the two never interleave. */
  const run = (script: string) =>
    promisify(execFile)('bash', ['-c', script], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, CRON_SECRET },
      timeout: 30_000,
    });
  const shell = async (script: string) => (await run(script)).stdout;

  beforeAll(async () => {
    const app = await createTestApp({ env: { CRON_SECRET }, local: true });
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
    project = await app.createProject('Readme webhooks');
  });
  afterAll(() => server.close());

  it('registers a receiver, which verifies the test event, and the log shows it delivered', async () => {
    const port = String(await freePort());
    const { stdout: out, stderr } = await run(readmeBlock('$IRIS/api/iris/webhooks/$HOOK_ID/test').replaceAll('4000', port));
    const lines = out.trim().split('\n');
    const created = JSON.parse(lines[0]!) as { id: string; url: string; secret: string };
    expect(created).toMatchObject({ url: `http://127.0.0.1:${port}/iris`, secret: expect.stringMatching(/^whsec_/) });
    const verified = stderr.split('\n').find((l) => l.startsWith('verified '));
    expect(verified, stderr).toBeDefined();
    expect(JSON.parse(verified!.slice('verified '.length))).toMatchObject({ type: 'webhook.test', data: { endpointId: created.id } });
    expect(stderr).not.toContain('refused:');
    const log = JSON.parse(lines.at(-1)!) as { data: { status: string; attempts: number; lastStatus: number }[] };
    expect(log.data).toEqual([expect.objectContaining({ status: 'succeeded', attempts: 1, lastStatus: 204 })]);
  });

  it('docs/costs.md: rotates the signing secret with a 24 h overlap', async () => {
    const port = String(await freePort());
    const hook = await fetch(`${server.url}/api/iris/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${port}/iris`, eventTypes: ['budget.threshold_crossed'] }),
    });
    const created = (await hook.json()) as { id: string; secret: string };
    const out = await promisify(execFile)('bash', ['-c', readmeBlock('/rotate-secret', 'docs/costs.md')], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, HOOK_ID: created.id },
      timeout: 30_000,
    });
    const rotated = JSON.parse(out.stdout) as { id: string; secret: string; previousSecretExpiresAt: string };
    expect(rotated).toMatchObject({ id: created.id, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
  });

  it('drains what is due with the cron secret', async () => {
    const out = await shell(readmeBlock('$IRIS/api/cron/webhooks'));
    expect(JSON.parse(out), out).toMatchObject({ outcome: 'complete', backlog: { due: 0 } });
  });
});
