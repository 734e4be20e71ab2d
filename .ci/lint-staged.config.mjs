// The pre-commit hook (simple-git-hooks, installed by `npm install` in a clone): the same checks .ci/run makes,
// on what is staged. Type checking needs the whole program, so it runs once per commit.
export default {
  '*.{ts,mts,js,mjs,json}': () => ['node .ci/format-check.mjs --staged'],
  '*.{ts,mts,js,mjs}': (files) => [`eslint -c .ci/eslint.config.js --max-warnings 0 ${files.map((f) => JSON.stringify(f)).join(' ')}`, 'tsc --noEmit'],
  '*': (files) => [`secretlint --secretlintrc .ci/secretlintrc.json --secretlintignore .ci/secretlintignore ${files.map((f) => JSON.stringify(f)).join(' ')}`],
};
