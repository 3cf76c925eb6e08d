// SKIFF_TESTS_WITHOUT: the one way to leave a real part out of a test run on purpose (read by the
// globalSetup, which then neither installs nor starts it, and by scripts/test-parts.ts, which skips
// the tests needing it). Kept free of vitest imports: the globalSetup loads it.
export const PARTS = ['root', 'containerd', 'docker', 'cni', 'registry'] as const;
export type Part = (typeof PARTS)[number];

/** In the name of every test skipped through SKIFF_TESTS_WITHOUT (scripts/ci-summary.mjs looks for it). */
export const SKIP_MARK = '(skipped: SKIFF_TESTS_WITHOUT=';

/** The parts SKIFF_TESTS_WITHOUT leaves out; an unknown name throws (a typo must not go unnoticed). */
export function excludedParts(value = process.env.SKIFF_TESTS_WITHOUT ?? ''): Set<Part> {
  const names = value.split(/[\s,]+/).filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`SKIFF_TESTS_WITHOUT: unknown part(s) ${unknown.join(', ')} (known: ${PARTS.join(', ')})`);
  return new Set(names as Part[]);
}
