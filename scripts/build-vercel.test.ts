// The Node major Vercel builds the functions with, checked without a build: the
// installed vercel CLI's own resolver (@vercel/build-utils' getNodeVersion, what
// `vercel build` calls once per function) run against package.json's engines.
// test/integration/vercel-build.test.ts checks the runtime in a real build's output.
// Also: build:vercel's refusal of a node_modules outside the repository.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getNodeVersion } from '@vercel/build-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeModulesOutside } from './build-vercel.js';

const dir = mkdtempSync(join(tmpdir(), 'iris-engines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What Vercel makes of `engines.node`: the range it picks (or why it refuses), and the warnings it prints. */
async function resolve(engines: string): Promise<{ range: string | null; error: string | null; warnings: string[] }> {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'probe', engines: { node: engines } }));
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (message: unknown) => void warnings.push(String(message));
  try {
    const version = await getNodeVersion(dir, undefined, {}, {});
    return { range: version.range, error: null, warnings };
  } catch (error) {
    return { range: null, error: error instanceof Error ? error.message : String(error), warnings };
  } finally {
    console.warn = warn;
  }
}

const engines = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;

describe("package.json's engines.node, as vercel build reads it", () => {
  it('selects one supported Node major without a warning (vercel build printed one per function, issue 10)', async () => {
    const { range, error, warnings } = await resolve(engines);
    expect(error).toBeNull();
    expect(range).toMatch(/^\d+\.x$/);
    expect(warnings).toEqual([]);
  });

  it.each([
    // The range before the fix: the runtime would move to each new major on its own.
    { engines: '>=20', range: '24.x', warning: /will automatically upgrade when a new major Node\.js Version is released/ },
    // Node 20 alone: discontinued on Vercel since 2026-10-01, so the build fails.
    { engines: '20.x', error: /Node\.js Version "20\.x" is discontinued/ },
    { engines: '22.x', range: '22.x' },
    { engines: '20.x || 22.x', range: '22.x' },
  ])('$engines resolves as the fix assumed', async (row) => {
    const got = await resolve(row.engines);
    if (row.error) expect(got.error).toMatch(row.error);
    else expect(got.range).toBe(row.range);
    if (row.warning) expect(got.warnings.join('\n')).toMatch(row.warning);
    else expect(got.warnings).toEqual([]);
  });
});

describe('where node_modules is, as the file tracer sees it', () => {
  it('refuses a node_modules that links outside the repository, whose files the tracer would leave out of every function', () => {
    const [repo, elsewhere] = [join(dir, 'repo'), join(dir, 'elsewhere')];
    mkdirSync(join(elsewhere, 'node_modules'), { recursive: true });
    mkdirSync(repo, { recursive: true });
    expect(nodeModulesOutside(repo)).toBeNull();
    symlinkSync(join(elsewhere, 'node_modules'), join(repo, 'node_modules'));
    expect(nodeModulesOutside(repo)).toBe(join(elsewhere, 'node_modules'));
    // A real folder, or a link to one inside the repository, is what the tracer ships from.
    rmSync(join(repo, 'node_modules'));
    mkdirSync(join(repo, 'deps', 'node_modules'), { recursive: true });
    symlinkSync(join(repo, 'deps', 'node_modules'), join(repo, 'node_modules'));
    expect(nodeModulesOutside(repo)).toBeNull();
    rmSync(join(repo, 'node_modules'));
    mkdirSync(join(repo, 'node_modules'));
    expect(nodeModulesOutside(repo)).toBeNull();
  });
});
