// Memory over 100 hot reloads of a plugin holding ~1 MB of module state. Runs reload-memory.ts in
// a child `node --expose-gc` (the vitest worker has no gc() and its own module graph would blur
// the figures) and checks that the heap stays flat; a leak mode (old versions kept) checks that
// the measurement would catch a leak.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ReloadMemoryResult } from './reload-memory.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

async function measure(mode: string, reloads = 100): Promise<ReloadMemoryResult> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', path.join(here, 'reload-memory.ts'), `--mode=${mode}`, `--reloads=${reloads}`, '--json'],
    { cwd: path.resolve(here, '../..'), timeout: 60_000, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as ReloadMemoryResult;
}

describe('memory over hot reloads', () => {
  it('stays flat over 100 reloads through loader + host', async () => {
    const r = await measure('vm');
    const at = (n: number) => r.samples.find((s) => s.reloads === n)!;
    console.log(`reload memory: ${JSON.stringify(r.samples)}`);
    // each leaked version would add >= 1 MB: 90 leaked reloads would be >= 90 MB
    expect(at(100).heapUsedMB - at(10).heapUsedMB).toBeLessThan(30);
    expect(at(100).heapUsedMB - at(10).heapUsedMB).toBeLessThan(10);
    expect(r.bundles.builds).toBeGreaterThanOrEqual(100); // every reload was a changed file
  });

  it('would catch a leak (old versions kept alive)', async () => {
    const r = await measure('leak', 40);
    const first = r.samples.find((s) => s.reloads === 10)!;
    const last = r.samples.find((s) => s.reloads === 40)!;
    expect(last.heapUsedMB - first.heapUsedMB).toBeGreaterThan(25);
  });
});
