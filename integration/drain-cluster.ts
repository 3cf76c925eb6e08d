// What the drain tests share: a distribution file (the default one, plus the ReplicaSet and
// disruption controllers loaded from their sources until the default distribution lists them), and
// pod readiness as the budgets count it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Plugins a drain needs beyond what the default distribution may already list. */
const NEEDED = [
  { name: 'replicaset-controller', type: 'skiff.io/controller', source: { path: join(repo, 'plugins/replicaset-controller/plugin.ts') } },
  { name: 'disruption-controller', type: 'skiff.io/controller', source: { path: join(repo, 'plugins/disruption-controller/plugin.ts') } },
];

/**
 * Writes `dir/distribution.yaml`: deploy/distros/default.yaml with the controllers a drain needs added
 * (by path) where it does not list them yet, and without those in `leaveOut`. Returns its path.
 */
export function writeDrainDistribution(dir: string, leaveOut: string[] = []): string {
  const dist = parse(readFileSync(join(repo, 'deploy/distros/default.yaml'), 'utf8'));
  const plugins: { name: string }[] = dist.spec.plugins.filter((p: { name: string }) => !leaveOut.includes(p.name));
  for (const p of NEEDED) if (!plugins.some((q) => q.name === p.name)) plugins.push(p);
  dist.spec.plugins = plugins;
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
