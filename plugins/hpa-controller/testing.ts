// Test helpers: a real kernel with the metrics-server plugin, hollow nodes reporting their pods'
// usage annotations, the hpa-controller under test, and a stand-in for the workload controller:
// it keeps as many hollow pods of a Deployment as its spec.replicas says (so the HPA's scale
// writes have pods to measure), each with the usage the test sets.
import { DEPLOYMENTS, HORIZONTAL_POD_AUTOSCALERS, PODS, type HorizontalPodAutoscaler, type KObject } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { eventually, setUsage, sleep, startMetricsEnv, usagePod, type MetricsEnv } from '@skiff/plugin-metrics-server/testing';
import hpaController, { type HpaControllerConfig } from './plugin.ts';

export { eventually, sleep, setUsage };

export async function startHpaEnv(config: Partial<HpaControllerConfig> = {}): Promise<MetricsEnv> {
  return startMetricsEnv({
    resolution: 0.2,
    nodes: 2,
    plugins: [{ descriptor: hpaController, config: { leaderElection: false, syncPeriodSeconds: 0.5, ...config } }],
  });
}

export function deployment(name: string, replicas: number, ns = 'default'): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] } },
    },
  };
}

export function hpa(name: string, spec: Record<string, unknown>, ns = 'default'): KObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, ...spec },
  };
}

export const getHpa = async (k: Kernel, name: string, ns = 'default') => (await k.get(HORIZONTAL_POD_AUTOSCALERS, ns, name)) as HorizontalPodAutoscaler;
export const replicasOf = async (k: Kernel, name: string, ns = 'default') => ((await k.get(DEPLOYMENTS, ns, name)).spec as { replicas: number }).replicas;
export const condition = (h: HorizontalPodAutoscaler, type: string) => h.status?.conditions?.find((c) => c.type === type);

/** eventsFor once it includes every one of `expected` (Events are written after the status), or as it is after 15 s. */
export async function eventsIncluding(k: Kernel, name: string, expected: string[]): Promise<string[]> {
  let events: string[] = [];
  await eventually(async () => {
    events = await eventsFor(k, name);
    return expected.every((e) => events.includes(e));
  }, 15_000, 'the Events').catch(() => {});
  return events;
}

/** Events about an object, oldest first, as "Reason: message". */
export async function eventsFor(k: Kernel, name: string, ns = 'default'): Promise<string[]> {
  const list = await k.list({ group: '', version: 'v1', resource: 'events' }, { namespace: ns });
  return list.items
    .filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === name)
    .sort((a, b) => String((a as Record<string, unknown>).firstTimestamp ?? '').localeCompare(String((b as Record<string, unknown>).firstTimestamp ?? '')))
    .map((e) => `${(e as Record<string, unknown>).reason}: ${(e as Record<string, unknown>).message}`);
}

/**
 * Keep `spec.replicas` hollow pods of Deployment `name` (pods `<name>-<i>` on the hollow nodes),
 * created with usage `cpu`; `setCpu` changes the usage of every pod, present and future.
 */
export function keepReplicas(k: Kernel, name: string, cpu: string, ns = 'default') {
  let usage = cpu;
  let stopped = false;
  const have = new Set<number>();
  const loop = (async () => {
    while (!stopped) {
      try {
        const want = await replicasOf(k, name, ns);
        for (let i = 0; i < want; i++) {
          if (have.has(i)) continue;
          await k.create(PODS, usagePod({ name: `${name}-${i}`, namespace: ns, node: `hollow-${i % 2}`, labels: { app: name }, cpuUsage: usage, memoryUsage: '32Mi' }));
          have.add(i);
        }
        for (const i of [...have].filter((i) => i >= want)) {
          await k.delete(PODS, ns, `${name}-${i}`, { gracePeriodSeconds: 0 });
          have.delete(i);
        }
      } catch {
        // a conflict or a pod still going away: next round
      }
      await sleep(100);
    }
  })();
  return {
    async setCpu(v: string) {
      usage = v;
      for (const i of have) await setUsage(k, ns, `${name}-${i}`, v);
    },
    get pods() {
      return have.size;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
