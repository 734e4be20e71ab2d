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
  const createHook = async (body: Record<string, unknown>) => {
    const hook = await fetch(`${server.url}/api/iris/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${project.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await hook.json()) as { id: string; secret: string };
  };
  /** The docs/costs.md block holding `marker`, run with HOOK_ID set: its stdout. */
  const docsBlock = async (marker: string, hookId: string) =>
    (
      await promisify(execFile)('bash', ['-c', readmeBlock(marker, 'docs/costs.md')], {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, HOOK_ID: hookId },
        timeout: 30_000,
      })
    ).stdout;

  beforeAll(async () => {
    // Literal addresses need no lookup; the one host name the docs' examples move a receiver to resolves to a public address.
    const resolve = async (host: string) => {
      if (host === 'hooks.example.com') return ['93.184.215.14'];
      throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    };
    const app = await createTestApp({ env: { CRON_SECRET }, local: true, webhooks: { resolve } });
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
    const created = await createHook({ url: `http://127.0.0.1:${port}/iris`, eventTypes: ['budget.threshold_crossed'] });
    const rotated = JSON.parse(await docsBlock('/rotate-secret', created.id)) as { id: string; secret: string; previousSecretExpiresAt: string };
    expect(rotated).toMatchObject({ id: created.id, secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
  });

  it('docs/costs.md: moves the endpoint to a new URL, keeping its id and secret', async () => {
    const created = await createHook({ url: 'http://127.0.0.1:4000/iris', eventTypes: ['budget.threshold_crossed'], description: 'before the move' });
    const moved = JSON.parse(await docsBlock('-X PATCH', created.id)) as Record<string, unknown>;
    expect(moved).toMatchObject({ id: created.id, url: 'https://hooks.example.com/iris/v2', description: null, eventTypes: ['budget.threshold_crossed'], disabledAt: null });
    expect(JSON.stringify(moved)).not.toContain(created.secret);
  });

  it('drains what is due with the cron secret', async () => {
    const out = await shell(readmeBlock('$IRIS/api/cron/webhooks'));
    expect(JSON.parse(out), out).toMatchObject({ outcome: 'complete', backlog: { due: 0 } });
  });
});
