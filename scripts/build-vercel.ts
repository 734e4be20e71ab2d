/**
 * `npm run build:vercel`: builds the Vercel Build Output API tree
 * (.vercel/output) locally and offline, then checks it.
 *
 * 1. Refuses a node_modules that links outside the repository (the tracer would
 *    ship functions without dependencies), then writes .vercel/project.json
 *    when absent (placeholder ids; .vercel/ is gitignored), so `vercel build`
 *    needs no login and no `vercel pull`.
 * 2. Runs the local `vercel build --yes` with VERCEL_INSTALL_COMPLETED=1, so it
 *    uses the installed node_modules instead of running `npm install`.
 * 3. Checks that .vercel/output/functions holds exactly one `.func` per route
 *    file under api/ (Vercel maps `api/a/[b]/c.ts` to `api/a/[b]/c.func` and
 *    `api/x/index.ts` to `api/x/index.func`), that no source file leaked
 *    into the static output, and that the functions hold every file of the
 *    packages vercel.json keeps from the file tracer (UNTRACED).
 * 4. Prints the functions and exits non-zero when a check fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { nodeFileTrace } from '@vercel/nft';

/** The extensions @vercel/node turns into functions (`api/**\/*.+(js|mjs|ts|tsx)` in zero-config detection). */
const FUNCTION_EXTENSIONS = /\.(?:js|mjs|ts|tsx)$/;

function walk(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path, base) : [relative(base, path).split(sep).join('/')];
  });
}

/**
 * Route files as Vercel's zero-config detection sees them: files under api/
 * with a Node extension, skipping `.d.ts` and any path segment that starts
 * with `_` or `.` or is `node_modules`. Paths are repo-relative (`api/...`).
 */
export function routeFiles(root: string): string[] {
  return walk(join(root, 'api'))
    .map((file) => `api/${file}`)
    .filter(
      (file) =>
        FUNCTION_EXTENSIONS.test(file) &&
        !file.endsWith('.d.ts') &&
        !file.split('/').some((segment) => segment.startsWith('_') || segment.startsWith('.') || segment === 'node_modules'),
    )
    .sort();
}

/** `api/a/[b]/c.ts` -> `api/a/[b]/c.func`; an index file keeps its name (`api/x/index.func`). */
export function functionDirFor(routeFile: string): string {
  return routeFile.replace(FUNCTION_EXTENSIONS, '.func');
}

/** Every `.func` directory under .vercel/output/functions, as `api/...func` paths. */
export function builtFunctions(root: string): string[] {
  const functionsDir = join(root, '.vercel', 'output', 'functions');
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name.endsWith('.func')) found.push(relative(functionsDir, path).split(sep).join('/'));
      else visit(path);
    }
  };
  visit(functionsDir);
  return found.sort();
}

export interface OutputCheck {
  routes: string[];
  functions: string[];
  /** Route files with no `.func`. */
  missing: string[];
  /** `.func` directories no route file accounts for. */
  unexpected: string[];
  /** Static files that do not come from vercel.json's outputDirectory (source served to the world). */
  leakedStatic: string[];
}

/**
 * The static folder vercel.json declares. Its build command writes it (a
 * robots.txt), because with no static folder Vercel would publish the whole
 * repository (lib/, tests, migrations) as static files.
 */
export function staticDir(root: string): string {
  const config = JSON.parse(readFileSync(join(root, 'vercel.json'), 'utf8')) as { outputDirectory?: string };
  return join(root, config.outputDirectory ?? 'public');
}

/** Compares .vercel/output with api/ and the declared static folder. */
export function checkOutput(root: string): OutputCheck {
  const routes = routeFiles(root);
  const functions = builtFunctions(root);
  const expected = new Set(routes.map(functionDirFor));
  const publicFiles = new Set(walk(staticDir(root)));
  return {
    routes,
    functions,
    missing: routes.filter((r) => !functions.includes(functionDirFor(r))),
    unexpected: functions.filter((f) => !expected.has(f)),
    leakedStatic: walk(join(root, '.vercel', 'output', 'static')).filter((f) => !publicFiles.has(f)),
  };
}

/**
 * A package vercel.json keeps from the file tracer (`excludeFiles`) and adds back by name
 * (`includeFiles`). @vercel/node traces each function on its own, sharing nothing between them, and
 * @vercel/nft takes about 2 s over @vercel/otel's 290 KB minified bundle every time: a third of each
 * function's trace, over a minute of the build (PERFORMANCE.md, "The Vercel build").
 */
export const UNTRACED = {
  /** The output file that imports the package: only functions holding it need the package. */
  importer: 'lib/tracing/start.js',
  /** What the importer's `import('@vercel/otel')` loads on Node (the package's "node" export). */
  entry: 'node_modules/@vercel/otel/dist/node/index.js',
} as const;

/** The files a function ships: those in its `.func` directory and those its `.vc-config.json` maps in from the repository. */
function functionFiles(root: string, func: string): Set<string> {
  const dir = join(root, '.vercel', 'output', 'functions', func);
  const config = JSON.parse(readFileSync(join(dir, '.vc-config.json'), 'utf8')) as { filePathMap?: Record<string, string> };
  return new Set([...walk(dir), ...Object.keys(config.filePathMap ?? {})]);
}

/**
 * Files the tracer finds from UNTRACED.entry that a function holding UNTRACED.importer lacks, as
 * `api/x.func: node_modules/...`: what vercel.json's `includeFiles` must add (a new @vercel/otel may
 * import more). The trace runs with the options @vercel/node passes.
 */
export async function missingUntracedFiles(root: string, functions: string[]): Promise<string[]> {
  const { fileList } = await nodeFileTrace([join(root, UNTRACED.entry)], {
    base: root,
    processCwd: root,
    ts: true,
    mixedModules: true,
    moduleSyncCatchall: true,
  });
  // A file outside the repository (a worktree whose node_modules links to another checkout) is one the tracer
  // leaves out of every function anyway.
  const needed = [...fileList].filter((file) => !file.startsWith('../'));
  return functions.flatMap((func) => {
    const files = functionFiles(root, func);
    return files.has(UNTRACED.importer) ? needed.filter((file) => !files.has(file)).map((file) => `${func}: ${file}`) : [];
  });
}

/**
 * Where `root`'s node_modules really is when that is outside `root` (a link to another checkout, as a git
 * worktree may have), else null. The file tracer leaves out every file whose real path is outside the
 * project, so such a build's functions hold no dependencies at all: not a deployable output, nor a
 * measurement of the real build.
 */
export function nodeModulesOutside(root: string): string | null {
  const dir = join(root, 'node_modules');
  if (!existsSync(dir)) return null;
  const real = realpathSync(dir);
  const rel = relative(realpathSync(root), real);
  return rel.startsWith('..') || rel === '' || rel.startsWith(sep) ? real : null;
}

function ensureProjectJson(root: string): void {
  const file = join(root, '.vercel', 'project.json');
  if (existsSync(file)) return;
  mkdirSync(join(root, '.vercel'), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ projectId: 'x', orgId: 'y', settings: {} })}\n`);
  console.log('[build:vercel] wrote placeholder .vercel/project.json');
}

async function main(): Promise<number> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(join(root, 'node_modules', '.bin', 'vercel'))) {
    console.error('[build:vercel] node_modules/.bin/vercel is missing: run `npm ci` first.');
    return 1;
  }
  const outside = nodeModulesOutside(root);
  if (outside !== null) {
    console.error(
      `[build:vercel] node_modules resolves to ${outside}, outside the repository: the file tracer leaves such files ` +
        'out, so the functions would ship without their dependencies. Install them here (`npm ci`).',
    );
    return 1;
  }
  ensureProjectJson(root);

  const build = spawnSync(join(root, 'node_modules', '.bin', 'vercel'), ['build', '--yes'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      // Dependencies are already installed (npm ci); without this the Node builder runs `npm install`.
      VERCEL_INSTALL_COMPLETED: '1',
      VERCEL_TELEMETRY_DISABLED: '1',
      NO_UPDATE_NOTIFIER: '1',
    },
  });
  if (build.status !== 0) {
    console.error(`[build:vercel] vercel build failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`);
    return 1;
  }

  const check = checkOutput(root);
  console.log(`[build:vercel] ${check.functions.length} functions for ${check.routes.length} route files:`);
  for (const route of check.routes) {
    const ok = check.functions.includes(functionDirFor(route));
    console.log(`  ${ok ? 'ok     ' : 'MISSING'} ${route} -> .vercel/output/functions/${functionDirFor(route)}`);
  }
  for (const extra of check.unexpected) console.log(`  EXTRA   .vercel/output/functions/${extra} (no route file)`);
  for (const leaked of check.leakedStatic) console.log(`  LEAKED  .vercel/output/static/${leaked} (not from the static folder)`);
  const untraced = await missingUntracedFiles(root, check.functions);
  for (const missing of untraced) console.log(`  LACKS   ${missing}`);
  if (untraced.length > 0) {
    console.error(`[build:vercel] functions lack files ${UNTRACED.entry} needs: add them to includeFiles in vercel.json.`);
  }
  if (check.leakedStatic.length > 0) {
    console.error(
      '[build:vercel] repository files would be served as static files: vercel.json must keep its buildCommand ' +
        'writing a file into its outputDirectory.',
    );
  }
  const failed = check.routes.length === 0 || check.missing.length + check.unexpected.length + check.leakedStatic.length + untraced.length > 0;
  if (check.routes.length === 0) console.error('[build:vercel] no route files under api/');
  console.log(failed ? '[build:vercel] FAILED' : '[build:vercel] ok');
  return failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await main());
