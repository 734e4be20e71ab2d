#!/usr/bin/env node
/* global process, console */
// Prettier check (config .ci/prettier.json) of the files added since the commit in .ci/prettier-baseline:
// the code base before it was never formatted with prettier, and reformatting it in one branch would
// conflict with every other. `--staged` checks the staged ones only (the pre-commit hook); `--all` every
// tracked file (once `npm run format:all` has reformatted the repository, delete the baseline file).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const FORMATTED = /\.(ts|mts|js|mjs|json)$/;
const SKIP = new Set(['package-lock.json', 'lib/client/openapi.ts']);
const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
const staged = process.argv.includes('--staged');
const baseline = existsSync('.ci/prettier-baseline') && !process.argv.includes('--all') ? readFileSync('.ci/prettier-baseline', 'utf8').trim() : null;
let files;
if (baseline) {
  try {
    git('cat-file', '-e', `${baseline}^{commit}`);
    files = git('diff', '--name-only', '--diff-filter=A', ...(staged ? ['--cached'] : []), baseline);
  } catch {
    // A shallow clone without the baseline: nothing to compare with, so check the files of the last commit that are new.
    files = git('diff', '--name-only', '--diff-filter=A', 'HEAD~1');
  }
} else {
  files = git('ls-files');
}
files = files.filter((f) => FORMATTED.test(f) && !SKIP.has(f) && existsSync(f));
if (staged) {
  const stagedNow = new Set(git('diff', '--name-only', '--cached'));
  files = files.filter((f) => stagedNow.has(f));
}
if (files.length === 0) {
  console.log('format: no file to check');
  process.exit(0);
}
try {
  execFileSync('npx', ['prettier', '--config', '.ci/prettier.json', '--check', ...files], { stdio: 'inherit' });
} catch {
  console.error('format: run `npx prettier --config .ci/prettier.json --write <files>` on the files above');
  process.exit(1);
}
