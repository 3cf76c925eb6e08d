// A distribution for the metrics tests: the default one with short periods for metrics-server and the
// HPA controller, and without the Deployment controller, so the pods a test makes are a Deployment's
// only pods.
import { defaultDistribution } from './distribution-file.ts';

/** Writes `<home>/distribution.yaml` and returns its path. */
export function metricsDistribution(home: string, o: { resolution?: number; hpaSyncSeconds?: number } = {}): string {
  return defaultDistribution(home, {
    without: ['deployment-controller'],
    config: { 'metrics-server': { resolution: o.resolution ?? 0.5 }, 'hpa-controller': { syncPeriodSeconds: o.hpaSyncSeconds ?? 1 } },
  });
}
