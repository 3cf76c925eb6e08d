import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { findUp } from './find-up.ts';

const root = mkdtempSync(join(tmpdir(), 'skiff-find-up-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('finds a file beside the module or in the nearest ancestor; the environment variable wins', () => {
  mkdirSync(join(root, 'proto', 'x'), { recursive: true });
  mkdirSync(join(root, 'dist', 'deep'), { recursive: true });
  writeFileSync(join(root, 'proto', 'x', 'a.proto'), '');
  const from = pathToFileURL(join(root, 'dist', 'deep', 'chunk.mjs')).href;
  expect(findUp('proto/x/a.proto', from)).toBe(join(root, 'proto', 'x', 'a.proto'));
  process.env.SKIFF_FIND_UP_TEST = '/elsewhere/a.proto';
  expect(findUp('proto/x/a.proto', from, 'SKIFF_FIND_UP_TEST')).toBe('/elsewhere/a.proto');
  delete process.env.SKIFF_FIND_UP_TEST;
  expect(() => findUp('proto/x/missing.proto', from, 'SKIFF_FIND_UP_TEST')).toThrow(/cannot find proto\/x\/missing.proto in .* or above; set SKIFF_FIND_UP_TEST/);
});
