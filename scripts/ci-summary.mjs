#!/usr/bin/env node
// Usage: ci-summary.mjs <vitest-json> <vitest-exit-code>
// Prints, as its last line, `N passed, N failed[, N skipped]` and exits non-zero if anything failed.
// A test file that failed to load counts as one failed test; so does a failed run whose report shows
// no failure (unhandled errors, a crash, a timeout).
import { readFileSync } from 'node:fs';

const [file, rcArg = '0'] = process.argv.slice(2);
const rc = Number(rcArg);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`no test report at ${file} (${e.code ?? e.message}); test command exited ${rc}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
let failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
for (const f of report.testResults ?? []) {
  if (f.status === 'failed' && !f.assertionResults?.some((a) => a.status === 'failed')) {
    console.log(`FAILED to run: ${f.name}: ${(f.message ?? '').split('\n')[0]}`);
    failed++;
  }
}
if (failed === 0 && (rc !== 0 || report.success === false)) {
  console.log(`the test run failed (exit ${rc}) without a failed test: counting it as one failure`);
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
