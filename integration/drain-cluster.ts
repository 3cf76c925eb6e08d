// What the drain tests share: a distribution file (the default one, less what a test writes by
// hand), and pod readiness as the budgets count it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Writes `dir/distribution.yaml`: deploy/distros/default.yaml without the plugins in `leaveOut`
 * (e.g. a controller whose objects the test writes by hand). Returns its path.
 */
export function writeDrainDistribution(dir: string, leaveOut: string[] = []): string {
  const dist = parse(readFileSync(join(repo, 'deploy/distros/default.yaml'), 'utf8'));
  dist.spec.plugins = dist.spec.plugins.filter((p: { name: string }) => !leaveOut.includes(p.name));
  const file = join(dir, 'distribution.yaml');
  writeFileSync(file, stringify(dist));
  return file;
}

interface PodLike {
  metadata: { name?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Ready and not being deleted: what a PodDisruptionBudget counts as healthy. */
export const isHealthy = (p: PodLike) => !p.metadata.deletionTimestamp && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
