// A distribution for the metrics tests: the default one plus the metrics-server and hpa-controller
// plugins, loaded by path (until the default distribution has them); without the Deployment
// controller, so the pods a test makes are a Deployment's only pods.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes `<home>/distribution.yaml` and returns its path. */
export function metricsDistribution(home: string, o: { resolution?: number; hpaSyncSeconds?: number } = {}): string {
  const d = parse(readFileSync(join(ROOT, 'deploy', 'distros', 'default.yaml'), 'utf8'));
  d.spec.plugins = d.spec.plugins.filter((p: { name: string }) => !['deployment-controller', 'metrics-server', 'hpa-controller'].includes(p.name));
  d.spec.plugins.push(
    { name: 'metrics-server', type: 'skiff.io/metrics', source: { path: join(ROOT, 'plugins', 'metrics-server', 'plugin.ts') }, config: { resolution: o.resolution ?? 0.5 } },
    { name: 'hpa-controller', type: 'skiff.io/controller', source: { path: join(ROOT, 'plugins', 'hpa-controller', 'plugin.ts') }, config: { syncPeriodSeconds: o.hpaSyncSeconds ?? 1 } },
  );
  const file = join(home, 'distribution.yaml');
  writeFileSync(file, stringify(d));
  return file;
}
