// The CI summary line: skips on purpose (SKIFF_TESTS_WITHOUT) stay skips, any other skip is a failure.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without types
import { summarize } from './ci-summary.mjs';

const test = (title: string, status: string, ancestorTitles: string[] = []) => ({ title, status, ancestorTitles });
const file = (name: string, status: string, assertionResults: object[], message = '') => ({ name, status, message, assertionResults });

describe('ci-summary', () => {
  it('counts passes, failures and skips on purpose', () => {
    const s = summarize(
      {
        numPassedTests: 2,
        numFailedTests: 1,
        success: false,
        testResults: [
          file('a.test.ts', 'failed', [test('x', 'passed'), test('y', 'failed')]),
          file('b.test.ts', 'passed', [test('z', 'passed'), test('w', 'skipped', ['docker (skipped: SKIFF_TESTS_WITHOUT=docker)'])]),
        ],
      },
      1,
    );
    expect([s.passed, s.failed, s.skipped]).toEqual([2, 1, 1]);
    expect(s.lines).toEqual(['1 tests skipped on purpose (SKIFF_TESTS_WITHOUT: docker)']);
  });

  it('counts a skip without SKIFF_TESTS_WITHOUT (it.skip, or a suite whose beforeAll threw) as a failure', () => {
    const s = summarize(
      { numPassedTests: 1, numFailedTests: 0, success: false, testResults: [file('c.test.ts', 'failed', [test('a', 'skipped', ['suite']), test('b', 'skipped', ['suite']), test('c', 'passed')], 'boom')] },
      1,
    );
    expect([s.passed, s.failed, s.skipped]).toEqual([1, 2, 0]);
    expect(s.lines[0]).toBe('SKIPPED without SKIFF_TESTS_WITHOUT, counted as failed: c.test.ts: suite > a');
  });

  it('counts a file that failed to load, and a failed run without a failed test, as one failure each', () => {
    expect(summarize({ numPassedTests: 3, testResults: [file('d.test.ts', 'failed', [], 'SyntaxError: x\nmore')] }, 1)).toMatchObject({
      failed: 1,
      lines: ['FAILED to run: d.test.ts: SyntaxError: x'],
    });
    expect(summarize({ numPassedTests: 3, success: true, testResults: [] }, 1).failed).toBe(1);
    expect(summarize({ numPassedTests: 3, success: true, testResults: [] }, 0)).toMatchObject({ passed: 3, failed: 0, skipped: 0 });
  });
});
