/**
 * The cost and budget examples of README.md and docs/costs.md, pasted into a
 * shell as written, against the real local server on a fresh project: they
 * must answer what the docs say.
 */
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../lib/server/index.js';
import { ADMIN_TOKEN, API_DIR, createTestApp, type TestProject } from '../support/app.js';
import { readmeBlock } from '../support/readme.js';

const hasShellTools = spawnSync('bash', ['-c', 'command -v curl grep cut']).status === 0;
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(!hasShellTools)('the cost and budget examples', () => {
  let server: LocalServer;
  let app: Awaited<ReturnType<typeof createTestApp>>;
  let project: TestProject;
  const shell = async (script: string) =>
    (
      await promisify(execFile)('bash', ['-c', script], {
        cwd: root,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, IRIS: server.url, IRIS_KEY: project.key, IRIS_ADMIN_TOKEN: ADMIN_TOKEN },
        timeout: 30_000,
      })
    ).stdout;
  const lines = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    app = await createTestApp();
    server = await startLocalServer({ apiDir: API_DIR, services: app.services, port: 0, hostname: '127.0.0.1' });
    project = await app.createProject('Readme costs');
  });
  afterAll(() => server.close());

  it("README: prices a run sent without a cost at $0.029 and leaves the agent's budget $0.021", async () => {
    const [stored, runs, budget, check] = lines(await shell(readmeBlock('/api/iris/budgets/check?agentId=support-bot')));
    expect(stored).toEqual({ inserted: 1, duplicates: 0 });
    expect((runs!.data as Record<string, unknown>[])[0]).toMatchObject({
      model: 'gpt-4o-2024-08-06',
      costUsd: 0.029,
      costSource: 'computed',
      cacheReadTokens: 8000,
    });
    expect(budget).toMatchObject({ name: 'support-bot daily', scope: 'agent', hardLimit: true, thresholds: [0.5, 0.8, 1] });
    expect(check).toMatchObject({ allowed: true, remainingUsd: 0.021, degraded: null, budgets: [{ spentUsd: 0.029, thresholdsCrossed: [0.5] }] });
  });

  it('docs/costs.md: lists the defaults with their sources, sets a project price, creates a budget and checks it', async () => {
    // A project of its own: the README example above spent on the same agent.
    project = await app.createProject('Docs costs');
    const [prices] = lines(await shell(readmeBlock('$IRIS/api/iris/prices', 'docs/costs.md').replace(/^#.*$/gm, '')));
    const haiku = (prices!.prices as Record<string, unknown>[]).find((p) => p.model === 'claude-3-5-haiku');
    expect(haiku).toMatchObject({
      origin: 'default',
      pattern: 'claude-3-5-haiku-*',
      inputPerMtok: 0.8,
      source: 'https://platform.claude.com/docs/en/about-claude/pricing',
      readAt: '2026-12-01',
    });

    const [replaced] = lines(await shell(readmeBlock('/prices \\', 'docs/costs.md')));
    expect(replaced).toMatchObject({
      projectId: project.id,
      prices: [{ model: 'acme-agent-llm', origin: 'project', pattern: 'acme-agent-*', inputPerMtok: 0.4 }],
    });

    const [budget, check] = lines(await shell(readmeBlock('"amountUsd":25', 'docs/costs.md').replace(/^#.*$/gm, '')));
    expect(budget).toMatchObject({ name: 'support-bot daily', amountUsd: 25, timeZone: 'UTC', failMode: 'open' });
    expect(check).toMatchObject({ allowed: true, remainingUsd: 25, degraded: null, budgets: [{ spentUsd: 0, utilization: 0, blocking: false }] });
  });
});
