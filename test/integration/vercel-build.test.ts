import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkOutput, functionDirFor, missingUntracedFiles, UNTRACED } from '../../scripts/build-vercel.js';

// Checks the Build Output that `npm run build:vercel` leaves in .vercel/output.
// CI sets IRIS_TEST_VERCEL_BUILD=1 so a missing build fails instead of skipping.

const root = fileURLToPath(new URL('../..', import.meta.url));
const output = join(root, '.vercel', 'output');
const enabled = process.env.IRIS_TEST_VERCEL_BUILD === '1' || existsSync(output);
const REBUILD = 'run `npm run build:vercel` (the output is missing or older than api/)';

interface VcConfig {
  handler: string;
  runtime: string;
  launcherType: string;
  maxDuration?: number;
}

type WebHandler = (req: Request) => Promise<Response>;

describe.skipIf(!enabled)('the Vercel build output', () => {
  it('has exactly one function per route file under api/', () => {
    expect(existsSync(output), REBUILD).toBe(true);
    const check = checkOutput(root);

    expect(check.routes.length).toBeGreaterThan(0);
    expect(check.missing, REBUILD).toEqual([]);
    expect(check.unexpected, REBUILD).toEqual([]);
    expect(check.functions).toEqual(check.routes.map(functionDirFor).sort());
  });

  it('ships every file of the package vercel.json keeps from the tracer, in each function that imports it', async () => {
    // vercel.json's excludeFiles keeps @vercel/otel from the tracer (it cost a minute of the build) and its
    // includeFiles adds the files back: a function lacking one would fail when it starts tracing.
    const { functions } = checkOutput(root);
    expect(await missingUntracedFiles(root, functions), `add them to includeFiles (${UNTRACED.entry})`).toEqual([]);
  });

  it('serves no repository file as a static file', () => {
    // Vercel serves the whole repository statically unless the static folder holds a file.
    expect(checkOutput(root).leakedStatic, 'vercel.json must write a file into its outputDirectory').toEqual([]);
  });

  it('runs every function on the Node major package.json pins, which never moves on its own', () => {
    // Issue 10: "node": ">=20" made vercel build warn once per function that the
    // runtime upgrades itself when a new major ships. Vercel takes the highest
    // supported major the range allows, so a range of whole majors pins it.
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const alternatives = engines.split('||').map((part) => part.trim());
    for (const part of alternatives) expect(part, `engines.node "${engines}": each alternative a whole major (N.x)`).toMatch(/^\d+\.x$/);
    const pinned = `nodejs${Math.max(...alternatives.map((part) => parseInt(part, 10)))}.x`;
    for (const func of checkOutput(root).functions) {
      const config = JSON.parse(readFileSync(join(output, 'functions', func, '.vc-config.json'), 'utf8')) as VcConfig;
      expect(config.runtime, func).toBe(pinned);
    }
  });

  it('answers GET /api/health from the built function with 200 and status ok', async () => {
    const funcDir = join(output, 'functions', functionDirFor('api/health.ts'));
    const config = JSON.parse(readFileSync(join(funcDir, '.vc-config.json'), 'utf8')) as VcConfig;
    expect(config.launcherType).toBe('Nodejs');
    expect(config.runtime).toMatch(/^nodejs\d+\.x$/);
    expect(config.maxDuration).toBe(30); // from vercel.json "functions"

    // The Node launcher calls the exported method handler with a web Request.
    const entry = (await import(pathToFileURL(join(funcDir, config.handler)).href)) as { GET?: WebHandler };
    expect(typeof entry.GET).toBe('function');
    const get = entry.GET as WebHandler;
    const res = await get(new Request('https://iris.example/api/health'));

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });
});
