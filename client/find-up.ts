// Files that ship beside the code (.proto definitions, worker scripts): found from a module's own
// directory upwards, so the same lookup works from the source tree (the repository's proto/) and
// from the bundle (dist/, and the checkout above it), with an environment variable to point
// elsewhere.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `$<envVar>` if set, else `relative` in the directory of `moduleUrl` or the nearest of its
 * (up to 8) ancestors that has it. Throws saying where it looked.
 */
export function findUp(relative: string, moduleUrl: string, envVar?: string): string {
  const fromEnv = envVar ? process.env[envVar] : undefined;
  if (fromEnv) return resolve(fromEnv);
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start, i = 0; i < 8; i++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find ${relative} in ${start} or above${envVar ? `; set ${envVar}` : ''}`);
}
