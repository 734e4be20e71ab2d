// @ts-check
/* global process, console */
// Prints the CI verdict as one line, "N passed, N failed", from the step log
// .ci/run writes. Plain JavaScript on purpose: it must run with bare Node even
// when `npm ci` failed and tsx is not installed.
//
// Step log: one line per step, tab-separated: kind, name, exit code, report.
//   setup  a prerequisite (apt-get, npm ci): counts only when it fails
//   check  typecheck, lint, build: one test each
//   tests  a vitest run: its JSON report's test counts; a failing run that
//          reports no failed test, a missing report or zero passed tests
//          counts as one more failure, so "no tests" never passes silently
//
// Usage: node .ci/summarize.mjs <step-log>; exits 1 when anything failed.
import { existsSync, readFileSync } from 'node:fs';

/**
 * @typedef {{ numPassedTests: number; numFailedTests: number;
 *   testResults?: { name?: string; status: string; message?: string;
 *     assertionResults?: { status: string; fullName?: string; failureMessages?: string[] }[] }[] }} VitestReport
 */

/** @param {string} path @returns {VitestReport | null} */
function readReport(path) {
  if (!path || path === '-' || !existsSync(path)) return null;
  try {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    return typeof report.numPassedTests === 'number' ? report : null;
  } catch {
    return null;
  }
}

/**
 * @param {string} kind @param {string} name @param {number} code @param {string} reportPath
 * @returns {{ passed: number; failed: number; note: string; failures?: string[] }}
 */
function score(kind, name, code, reportPath) {
  if (kind === 'setup') return { passed: 0, failed: code === 0 ? 0 : 1, note: code === 0 ? 'ok' : `exit ${code}` };
  if (kind === 'check') return { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, note: code === 0 ? 'ok' : `exit ${code}` };

  const report = readReport(reportPath);
  if (!report) return { passed: 0, failed: 1, note: `exit ${code}, no JSON report at ${reportPath}` };
  // A file that fails to load reports no assertions; count it as a failure of its own.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed'),
  ).length;
  let failed = report.numFailedTests + brokenFiles;
  const notes = [`exit ${code}`, `${report.numPassedTests} passed`, `${report.numFailedTests} failed`];
  if (brokenFiles > 0) notes.push(`${brokenFiles} file(s) failed to run`);
  if (report.numPassedTests === 0) {
    failed += 1;
    notes.push('no test passed');
  }
  if (code !== 0 && failed === 0) {
    failed = 1;
    notes.push('vitest failed without a failing test (unhandled error?)');
  }
  return { passed: report.numPassedTests, failed, note: notes.join(', '), failures: failures(report) };
}

/**
 * One line per failed test (file, name, first line of its error) and per file
 * that failed to load, so a red CI run says what broke without its full log.
 * @param {VitestReport} report @returns {string[]}
 */
function failures(report) {
  const out = [];
  const cwd = process.cwd() + '/';
  for (const file of report.testResults ?? []) {
    const name = (file.name ?? '?').replace(cwd, '');
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    if (file.status === 'failed' && failedTests.length === 0) {
      out.push(`${name}: ${firstLine(file.message)}`);
    }
    for (const test of failedTests) {
      out.push(`${name} > ${test.fullName ?? '?'}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  return out.slice(0, 20);
}

/** @param {string | undefined} text */
function firstLine(text) {
  // vitest puts a placeholder line first for some errors (timeouts); the message follows it.
  const lines = (text ?? '').split('\n').filter((l) => l.trim() !== '' && !l.includes('STACK_TRACE_ERROR'));
  return lines[0]?.slice(0, 300) ?? '';
}

function main() {
  const log = process.argv[2];
  let passed = 0;
  let failed = 0;
  const lines = log && existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  if (lines.length === 0) {
    console.error(`ci: no steps recorded in ${log}`);
    failed += 1;
  }
  for (const line of lines) {
    const [kind = '', name = '', code = '1', report = '-'] = line.split('\t');
    const s = score(kind, name, Number(code), report);
    passed += s.passed;
    failed += s.failed;
    console.error(`ci: ${s.failed > 0 ? 'FAIL' : 'ok  '} ${name}: ${s.note}`);
    for (const failure of s.failures ?? []) console.error(`ci:        ${failure}`);
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
