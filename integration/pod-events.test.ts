// What a user reads of a pod's life: `skiff server` (with its scheduler) and `skiff agent` on this
// machine's containerd, driven with kubectl 1.32. `kubectl describe pod` lists the Events kube's
// components record: Scheduled (default-scheduler), Pulled / Created / Started (kubelet); and a pod
// that cannot start says why, in its container's waiting state and in a Warning Event.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

const NODE = `events-test-${process.pid}`;
const PODS = ['story', 'novolume', 'noconfig'];

const host = new HostNode({ name: 'events', nodeName: NODE });
const kubectl = (...args: string[]) => host.kubectl(...args);
const apply = (yaml: string) => host.apply(yaml);
/** A pod for the scheduler to place (no nodeName), with busybox as the node has it. */
const pod = (name: string, extra = '', containerExtra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exec sleep 3600"]
${containerExtra}${extra}`;
const describe = (name: string) => kubectl('describe', 'pod', name).out;
/** The Events table of `kubectl describe`: everything after the "Events:" line. */
const eventsOf = (out: string) => out.slice(out.indexOf('\nEvents:'));

describeNeeding(['root', 'containerd'], 'pod events', (missing) => {
  beforeAll(async () => {
    if (!missing()) await host.start();
  }, HOST_NODE_START_MS);

  afterAll(() => host.stop(() => kubectl('delete', 'pod', ...PODS, '--ignore-not-found', '--grace-period=0', '--force')), HOST_NODE_STOP_MS);

  it('describe pod tells the story of a pod: Scheduled, Pulled (already present), Created, Started', async () => {
    apply(pod('story'));
    await until(() => kubectl('get', 'pod', 'story', '-o', 'jsonpath={.status.phase}').out === 'Running', 'the pod to run', 60_000);
    const events = await until(() => {
      const e = eventsOf(describe('story'));
      return /Normal\s+Started\s/.test(e) && /Normal\s+Scheduled\s/.test(e) && e;
    }, 'the Events in describe', 30_000);
    expect(events).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(events).toMatch(new RegExp(`Normal\\s+Scheduled\\s+\\S+\\s+default-scheduler\\s+Successfully assigned default/story to ${NODE}\\n`));
    expect(events).toMatch(/Normal\s+Pulled\s+\S+\s+kubelet\S*\s+Container image "busybox" already present on machine\n/);
    expect(events).toMatch(/Normal\s+Created\s+\S+\s+kubelet\S*\s+Created container: c\n/);
    expect(events).toMatch(/Normal\s+Started\s+\S+\s+kubelet\S*\s+Started container c\n/);
    // in the order they happened
    const order = ['Scheduled', 'Pulled', 'Created', 'Started'].map((r) => events.search(new RegExp(`Normal\\s+${r}\\s`)));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  }, 120_000);

  it('a pod with a volume type the node does not support: Pending, ContainerCreating with the reason, and FailedMount in describe', async () => {
    apply(pod('novolume', '  volumes:\n  - name: data\n    nfs: {server: nfs.invalid, path: /exports}\n', '    volumeMounts: [{name: data, mountPath: /data}]\n'));
    const message = 'MountVolume.SetUp failed for volume "data" : volume source nfs is not supported on this node';
    const waiting = await until(() => {
      const s = host.kubectl.json('get', 'pod', 'novolume').status;
      return s?.containerStatuses?.[0]?.state?.waiting?.message && { phase: s.phase, ...s.containerStatuses[0].state.waiting };
    }, 'the waiting reason', 60_000);
    expect(waiting).toEqual({ phase: 'Pending', reason: 'ContainerCreating', message });
    const out = await until(() => {
      const d = describe('novolume');
      return /Warning\s+FailedMount\s/.test(eventsOf(d)) && d;
    }, 'FailedMount in describe', 30_000);
    expect(out).toMatch(/Status:\s+Pending\n/);
    expect(out).toMatch(/State:\s+Waiting\n\s+Reason:\s+ContainerCreating\n/);
    expect(eventsOf(out)).toMatch(/Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/novolume to /);
    expect(eventsOf(out)).toContain(message);
  }, 120_000);

  it('a pod whose env names a missing ConfigMap: CreateContainerConfigError, and Failed "Error: configmap ... not found" in describe', async () => {
    apply(pod('noconfig', '', '    env: [{name: X, valueFrom: {configMapKeyRef: {name: absent, key: k}}}]\n'));
    const out = await until(() => {
      const d = describe('noconfig');
      return /Warning\s+Failed\s/.test(eventsOf(d)) && /Reason:\s+CreateContainerConfigError/.test(d) && d;
    }, 'CreateContainerConfigError in describe', 60_000);
    expect(eventsOf(out)).toMatch(/Warning\s+Failed\s+.*kubelet\S*\s+Error: configmap "absent" not found\n/);
    const waiting = host.kubectl.json('get', 'pod', 'noconfig').status.containerStatuses[0].state.waiting;
    expect(waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "absent" not found' });
  }, 120_000);
});
