/**
 * README's prompt registry examples, pasted into a shell as written, against
 * the real local server: they must do what the README says.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { API_DIR, createTestApp, type TestProject } from '../support/app.js';
import { readmeBlock } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl']).status === 0;

describe.skipIf(!hasShellTools)("README's prompt examples", () => {
  let server: LocalServer;
  let project: TestProject;

  beforeAll(async () => {
    const app = await createTestApp({ local: true });
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
    project = await app.createProject('Readme prompts');
  });
  afterAll(() => server.close());

  it('creates, versions, moves and rolls back a label, fetches production and renders it', async () => {
    // One answer per line: curl -s prints a body without a newline.
    const script = `curl() { command curl "$@"; echo; }\n${readmeBlock('$IRIS/api/iris/prompts/greeter/render')}`;
    const { stdout } = await promisify(execFile)('bash', ['-c', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key },
      timeout: 30_000,
    });
    const [created, v2, forward, back, history, fetched, rendered] = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(created).toMatchObject({ name: 'greeter', version: 1, labels: ['production'], variables: ['name', 'language'] });
    expect(v2).toMatchObject({ version: 2, labels: ['staging'] });
    expect(forward).toMatchObject({ label: 'production', version: 2, previousVersion: 1, moved: true });
    expect(back).toMatchObject({ version: 1, previousVersion: 2, moved: true });
    expect((history as { moves: unknown[] }).moves).toHaveLength(3);
    expect(fetched).toMatchObject({ version: 1, promptVersion: 'greeter@1' });
    expect(rendered).toMatchObject({ version: 1, text: 'Greet Ada in French.' });
  });
});
