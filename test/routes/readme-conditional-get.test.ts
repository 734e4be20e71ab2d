/**
 * README's conditional-GET example, pasted into a shell as written, against
 * the real local server: it must end in the 304 it promises (issue 10: the
 * example quoted the ETag a second time, which gives 200).
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { API_DIR, createTestApp, type TestProject } from '../support/app.js';
import { readmeBlock } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl grep cut tr']).status === 0;


describe.skipIf(!hasShellTools)("README's If-None-Match example", () => {
  let server: LocalServer;
  let project: TestProject;

  beforeAll(async () => {
    const app = await createTestApp();
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
    project = await app.createProject('Readme');
  });
  afterAll(() => server.close());

  it('answers 304 when pasted into a shell as written', async () => {
    // Asynchronously: the server answering curl runs in this process.
    const { stdout: out } = await promisify(execFile)('bash', ['-c', readmeBlock('If-None-Match')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key },
      timeout: 20_000,
    });
    const lines = out.trim().split('\n');
    expect(lines.some((l) => /^etag: "[^"]+"/i.test(l)), out).toBe(true);
    expect(lines.at(-1), out).toBe('304');
  });
});
