// Tests that need a real part of a node (root, containerd, the Docker engine, the CNI plugins,
// Debian's docker-registry) never skip by accident: when a part is missing they FAIL, saying what is
// missing (the globalSetup, scripts/test-global-setup.ts, installs and starts every part when run
// as root). The one way to leave a part out is to say so: SKIFF_TESTS_WITHOUT=docker,cni (any of
// PARTS) skips the tests that need it, with "(skipped: SKIFF_TESTS_WITHOUT=...)" in their names,
// which scripts/ci-summary.mjs reports as skipped on purpose.
import { existsSync } from 'node:fs';
import { beforeEach, describe, it, type TestContext } from 'vitest';
import { containerdUnavailable, dockerUnavailable } from '../deploy/images/load.ts';
import { excludedParts, SKIP_MARK, type Part } from './tests-without.ts';

export { PARTS, excludedParts, type Part } from './tests-without.ts';

/** A part, or a part with a probe of the test's own (why it cannot be used, or null/undefined). */
export type Need = Part | readonly [Part, () => string | null | undefined];

const partOf = (n: Need): Part => (typeof n === 'string' ? n : n[0]);

/** The needed parts that SKIFF_TESTS_WITHOUT leaves out. */
function leftOut(needs: readonly Need[]): Part[] {
  const ex = excludedParts();
  return needs.map(partOf).filter((p) => ex.has(p));
}

const BUILTIN: Record<Part, () => string | null> = {
  root: () => (process.getuid?.() === 0 ? null : 'not root'),
  containerd: () => containerdUnavailable(),
  docker: () => dockerUnavailable(),
  cni: () => (existsSync('/usr/lib/cni/bridge') ? null : 'no CNI plugins in /usr/lib/cni (apt-get install containernetworking-plugins)'),
  registry: () => (existsSync('/usr/bin/docker-registry') ? null : '/usr/bin/docker-registry missing (apt-get install docker-registry)'),
};

/** containerd on a socket of the test's own choosing (SKIFF_CRI_SOCKET), as a Need. */
export const containerdAt = (socket: string): Need => ['containerd', () => containerdUnavailable(socket.replace(/^unix:\/\//, ''))];

/** What is missing of the needed parts, as one message, or null when all are there. */
export function missingParts(...needs: Need[]): string | null {
  const problems: string[] = [];
  for (const n of needs) {
    const problem = typeof n === 'string' ? BUILTIN[n]() : n[1]();
    if (problem) problems.push(`${partOf(n)}: ${problem}`);
  }
  if (!problems.length) return null;
  const parts = [...new Set(problems.map((p) => p.split(':')[0]))].join(',');
  return (
    `needs ${problems.join('; ')}. ` +
    `Run as root, the test setup (scripts/test-global-setup.ts) installs and starts what the tests need (see its messages), ` +
    `or leave these tests out on purpose: SKIFF_TESTS_WITHOUT=${parts}`
  );
}

/** Throws when a needed part is missing (for the start of a test). */
export function requireParts(...needs: Need[]): void {
  const m = missingParts(...needs);
  if (m) throw new Error(m);
}

/**
 * describe() for a suite that needs real parts: skipped (and saying so) only when SKIFF_TESTS_WITHOUT
 * names one of them; otherwise, when one is missing, every test of the suite fails saying what is
 * missing (a throwing beforeAll would only mark them skipped). The body gets `missing()`: the
 * problem, probed once, or null; its beforeAll should return early when it is set.
 */
export function describeNeeding(needs: readonly Need[], title: string, body: (missing: () => string | null) => void): void {
  const out = leftOut(needs);
  if (out.length) return void describe.skip(`${title} ${SKIP_MARK}${out.join(',')})`, () => body(() => null));
  let probed: { problem: string | null } | undefined;
  const missing = () => (probed ??= { problem: missingParts(...needs) }).problem;
  describe(title, () => {
    beforeEach(() => {
      const m = missing();
      if (m) throw new Error(m);
    });
    body(missing);
  });
}

/** it() for a test that needs real parts: skipped only through SKIFF_TESTS_WITHOUT, else fails when one is missing. */
export function itNeeding(needs: readonly Need[], title: string, fn: (ctx: TestContext) => unknown, timeout?: number): void {
  const out = leftOut(needs);
  if (out.length) return void it.skip(`${title} ${SKIP_MARK}${out.join(',')})`, fn, timeout);
  it(
    title,
    async (ctx) => {
      requireParts(...needs);
      await fn(ctx);
    },
    timeout,
  );
}
