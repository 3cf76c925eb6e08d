// Test helpers: StatefulSet manifests, a stand-in for the kubelet that marks pods Running and Ready,
// and views of what the controller did (pods, claims, revisions, Events, deletion order).
import { CONTROLLER_REVISIONS, EVENTS, isConflict, isNotFound, PODS, PVCS, STATEFUL_SETS, type ControllerRevision, type KObject, type PersistentVolumeClaim, type Pod, type StatefulSet, type StatefulSetSpec } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';

export { eventually, sleep } from '../../client/testing.ts';

export const startStatefulSetController = (): Promise<ControllerTestEnv> => startControllers([{ descriptor }]);

/** A second controller process on the same kernel, as after a restart. */
export async function restartController(env: ControllerTestEnv): Promise<PluginHost> {
  await env.host.stopAll();
  const host = new PluginHost({ kernel: env.t.kernel, logger: createConsoleLogger({ level: 'warn', write: (l) => void env.warnings.push(l) }) });
  await host.load([{ descriptor, config: { leaderElection: false } }]);
  return host;
}

export async function createNamespace(kernel: Kernel, name: string): Promise<void> {
  await kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** A StatefulSet `name` in `namespace` of busybox pods labelled app=<name>, with `spec` merged in. */
export function statefulSet(namespace: string, name: string, spec: Partial<StatefulSetSpec> = {}): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas: 3,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image: 'busybox' }] } },
      ...spec,
    },
  };
}

export const createSet = (kernel: Kernel, set: StatefulSet) => kernel.create(STATEFUL_SETS, set) as Promise<StatefulSet>;

export const getSet = (kernel: Kernel, ns: string, name: string) => kernel.get(STATEFUL_SETS, ns, name) as Promise<StatefulSet>;

/** Change a set's spec (re-read and retried on conflicts). */
export async function updateSpec(kernel: Kernel, ns: string, name: string, change: (spec: StatefulSetSpec) => void): Promise<StatefulSet> {
  for (;;) {
    const set = await getSet(kernel, ns, name);
    change(set.spec!);
    try {
      return (await kernel.update(STATEFUL_SETS, set)) as StatefulSet;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

export async function getPod(kernel: Kernel, ns: string, name: string): Promise<Pod | undefined> {
  try {
    return (await kernel.get(PODS, ns, name)) as Pod;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Pod names in `ns`, sorted. */
export const podNames = async (kernel: Kernel, ns: string): Promise<string[]> =>
  (await kernel.list(PODS, { namespace: ns })).items.map((p) => p.metadata.name!).sort();

export const listPods = async (kernel: Kernel, ns: string) => (await kernel.list(PODS, { namespace: ns })).items as Pod[];

export const listClaims = async (kernel: Kernel, ns: string) => (await kernel.list(PVCS, { namespace: ns })).items as PersistentVolumeClaim[];

export const listRevisions = async (kernel: Kernel, ns: string) =>
  ((await kernel.list(CONTROLLER_REVISIONS, { namespace: ns })).items as ControllerRevision[]).sort((a, b) => a.revision - b.revision);

/** Events about objects in `ns`: "Reason: message", in creation order. */
export async function eventsIn(kernel: Kernel, ns: string): Promise<string[]> {
  const items = (await kernel.list(EVENTS, { namespace: ns })).items as (KObject & { reason?: string; message?: string })[];
  return items.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion)).map((e) => `${e.reason}: ${e.message}`);
}

/** Write a pod's status as a kubelet would: a phase, and Ready when Running (retrying conflicts). */
export async function setPodPhase(kernel: Kernel, ns: string, name: string, phase: 'Running' | 'Failed' | 'Succeeded' | 'Pending', ready = phase === 'Running'): Promise<Pod> {
  for (;;) {
    const pod = (await kernel.get(PODS, ns, name)) as Pod;
    const at = new Date().toISOString();
    pod.status = {
      ...pod.status,
      phase,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at }],
    };
    try {
      return (await kernel.update(PODS, pod, { subresource: 'status' })) as Pod;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

export const markRunningReady = (kernel: Kernel, ns: string, name: string) => setPodPhase(kernel, ns, name, 'Running', true);

/** A kubelet stand-in: every new pod in `ns` is marked Running and Ready. */
export function autoReady(kernel: Kernel, ns: string): { stop(): void } {
  const w = kernel.watch(PODS, { namespace: ns });
  void (async () => {
    for await (const ev of w) {
      const p = ev.object as Pod;
      if (ev.type !== 'ADDED' || p.status?.phase === 'Running' || p.metadata.deletionTimestamp) continue;
      await markRunningReady(kernel, ns, p.metadata.name!).catch(() => {});
    }
  })();
  return { stop: () => w.stop() };
}

/** Pod names as a watch sees them deleted, in order. */
export async function recordDeletions(kernel: Kernel, ns: string): Promise<{ names: string[]; stop(): void }> {
  const names: string[] = [];
  const { resourceVersion } = (await kernel.list(PODS, { namespace: ns })).metadata;
  const w = kernel.watch(PODS, { namespace: ns, resourceVersion });
  void (async () => {
    for await (const ev of w) if (ev.type === 'DELETED') names.push(ev.object.metadata.name!);
  })();
  return { names, stop: () => w.stop() };
}
