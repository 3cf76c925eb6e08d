// A distribution for the metrics tests: the default one with short periods for metrics-server and the
// HPA controller, and without the Deployment controller, so the pods a test makes are a Deployment's
// only pods.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes `<home>/distribution.yaml` and returns its path. */
export function metricsDistribution(home: string, o: { resolution?: number; hpaSyncSeconds?: number } = {}): string {
  const d = parse(readFileSync(join(ROOT, 'deploy', 'distros', 'default.yaml'), 'utf8'));
  const config: Record<string, object> = {
    'metrics-server': { resolution: o.resolution ?? 0.5 },
    'hpa-controller': { syncPeriodSeconds: o.hpaSyncSeconds ?? 1 },
  };
  d.spec.plugins = d.spec.plugins.filter((p: { name: string }) => p.name !== 'deployment-controller');
  for (const p of d.spec.plugins) if (config[p.name]) p.config = { ...p.config, ...config[p.name] };
  for (const name of Object.keys(config)) if (!d.spec.plugins.some((p: { name: string }) => p.name === name)) throw new Error(`the default distribution has no ${name}`);
  const file = join(home, 'distribution.yaml');
  writeFileSync(file, stringify(d));
  return file;
}
