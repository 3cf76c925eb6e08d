#!/usr/bin/env node
// Usage: ci-summary.mjs <vitest-json> <vitest-exit-code>
// Prints, as its last line, `N passed, N failed, N skipped` and exits non-zero if anything failed.
// A test file that failed to load counts as one failed test; so does a failed run whose report shows
// no failure (unhandled errors, a crash, a timeout). Skipping never happens by accident: a test is
// skipped on purpose only through SKIFF_TESTS_WITHOUT (its name then carries SKIP_MARK, see
// scripts/tests-without.ts); any other skipped test (an it.skip, or a suite whose beforeAll threw)
// counts as failed.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const SKIP_MARK = '(skipped: SKIFF_TESTS_WITHOUT='; // as in scripts/tests-without.ts

/** Counts of a vitest JSON report: { passed, failed, skipped, lines } (lines: what to print first). */
export function summarize(report, rc) {
  const lines = [];
  const passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  let skipped = 0;
  const onPurpose = new Set();
  for (const f of report.testResults ?? []) {
    let accidental = 0;
    for (const a of f.assertionResults ?? []) {
      if (!['skipped', 'pending', 'todo', 'disabled'].includes(a.status)) continue;
      const name = [...(a.ancestorTitles ?? []), a.title].join(' > ');
      const mark = name.indexOf(SKIP_MARK);
      if (mark >= 0) {
        skipped++;
        onPurpose.add(name.slice(mark + SKIP_MARK.length).split(')')[0]);
      } else {
        accidental++;
        lines.push(`SKIPPED without SKIFF_TESTS_WITHOUT, counted as failed: ${f.name}: ${name}`);
      }
    }
    failed += accidental;
    if (f.status === 'failed' && !accidental && !f.assertionResults?.some((a) => a.status === 'failed')) {
      lines.push(`FAILED to run: ${f.name}: ${(f.message ?? '').split('\n')[0]}`);
      failed++;
    }
  }
  if (skipped) lines.push(`${skipped} tests skipped on purpose (SKIFF_TESTS_WITHOUT: ${[...onPurpose].join('; ')})`);
  if (failed === 0 && (rc !== 0 || report.success === false)) {
    lines.push(`the test run failed (exit ${rc}) without a failed test: counting it as one failure`);
    failed = 1;
  }
  return { passed, failed, skipped, lines };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, rcArg = '0'] = process.argv.slice(2);
  const rc = Number(rcArg);
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    console.log(`no test report at ${file} (${e.code ?? e.message}); test command exited ${rc}`);
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  const s = summarize(report, rc);
  for (const l of s.lines) console.log(l);
  console.log(`${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  process.exit(s.failed ? 1 : 0);
}
