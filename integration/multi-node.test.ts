// A cluster of real nodes in Docker (testcontainers): NATS in a container (the local nats image),
// `skiff server` on the host using it, and two Skiff node containers (the local node image, in the
// spirit of kind's), each with its own containerd, running `skiff agent`. Pods run and report
// Running on the node the scheduler chose, or the one `spec.nodeName` names, with pod IPs from
// that node's pod CIDR. Images are built locally (deploy/images): nothing is pulled.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { until, type Kubectl } from './kubectl-client.ts';
import { startNodeCluster, type NodeCluster } from './node-cluster.ts';
import type { SkiffProcess } from './skiff-process.ts';
import { kubectlAsync, PodWatch } from './pod-watch.ts';

const NODES = ['e2e-node-1', 'e2e-node-2'];

let cluster: NodeCluster | undefined;
let home: string;
let nodes: StartedTestContainer[] = [];
let skiff: SkiffProcess;
let kubectl: Kubectl;
const json = (...args: string[]) => kubectl.json(...args);

describeNeeding(['root', 'docker'], 'a cluster of node containers', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    cluster = await startNodeCluster({ nodes: NODES });
    ({ home, skiff, kubectl, containers: nodes } = cluster);
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('has both nodes Ready, each with a pod CIDR of its own', async () => {
    await cluster!.ready();
    const cidrs = NODES.map((n) => json('get', 'node', n).spec.podCIDR);
    expect(new Set(cidrs).size).toBe(2);
  }, 150_000);

  it('runs pods on the node spec.nodeName names and on the node the scheduler picks', async () => {
    const pod = (name: string, extra: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo on $(hostname); exec sleep 3600"]
`;
    const f = join(home, 'pods.yaml');
    writeFileSync(f, [pod('pinned', `  nodeName: ${NODES[1]}\n`), pod('scheduled-a', ''), pod('scheduled-b', '')].join('---\n'));
    const r = kubectl('apply', '-f', f);
    expect(r.code, r.err).toBe(0);
    for (const name of ['pinned', 'scheduled-a', 'scheduled-b']) {
      const p = await until(() => {
        const x = json('get', 'pod', name);
        return x.status?.phase === 'Running' && x;
      }, `${name} to run`, 90_000);
      const node = json('get', 'node', p.spec.nodeName);
      expect(NODES).toContain(p.spec.nodeName);
      expect(p.status.podIP.startsWith(node.spec.podCIDR.replace(/0\/24$/, ''))).toBe(true);
      // the container really runs in that node's containerd
      const inNode = nodes[NODES.indexOf(p.spec.nodeName)];
      const ls = await inNode.exec(['ctr', '-n', 'k8s.io', 'containers', 'ls', '-q']);
      expect(ls.output).toContain(p.status.containerStatuses[0].containerID.replace('containerd://', ''));
    }
    expect(json('get', 'pod', 'pinned').spec.nodeName).toBe(NODES[1]);
  }, 200_000);

  it('a pod reaches a pod on the other node by IP, with its own address (pod-routes: host-gw routes; masquerade only leaving the cluster CIDR)', async () => {
    const f = join(home, 'cross.yaml');
    const pod = (name: string, node: string, command: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", ${JSON.stringify(command)}]
`;
    writeFileSync(f, [pod('cross-server', NODES[1]!, 'mkdir -p /www && echo cross-node > /www/index.html && exec httpd -f -vv -p 8080 -h /www'), pod('cross-client', NODES[0]!, 'exec sleep 3600')].join('---\n'));
    const r = kubectl('apply', '-f', f);
    expect(r.code, r.err).toBe(0);
    const running = (name: string) => until(() => {
      const x = json('get', 'pod', name);
      return x.status?.phase === 'Running' && x;
    }, `${name} to run`, 90_000);
    const server = await running('cross-server');
    const client = await running('cross-client');
    // each node routes the other's pod CIDR via its InternalIP
    const route = await nodes[0]!.exec(['ip', 'route', 'show', 'proto', '120']);
    expect(route.output).toContain(json('get', 'node', NODES[1]).spec.podCIDR);
    const body = await until(() => {
      // `timeout`, not wget's -T: Debian's busybox wget segfaults on -T (deploy/images/README.md)
      const x = kubectl('exec', 'cross-client', '--', 'timeout', '3', 'wget', '-qO-', `http://${server.status.podIP}:8080/`);
      return x.code === 0 && x.out;
    }, 'the server pod to answer across nodes', 30_000);
    expect(body.trim()).toBe('cross-node');
    // busybox httpd -vv logs the peer: the client pod's own address, not its node's
    await until(() => kubectl('logs', 'cross-server').out.includes(client.status.podIP), 'the server to log the client pod address', 10_000);
    kubectl('delete', 'pod', 'cross-server', 'cross-client', '--wait=false');
  }, 200_000);

  const apply = (name: string, yaml: string) => {
    const f = join(home, `${name}.yaml`);
    writeFileSync(f, yaml);
    const r = kubectl('apply', '-f', f);
    expect(r.code, r.err).toBe(0);
  };

  it('runs a DaemonSet pod on every node, none on a node tainted NoSchedule without a toleration', async () => {
    expect(kubectl('taint', 'node', NODES[1]!, 'dedicated=infra:NoSchedule').code).toBe(0);
    apply('ds', `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agentd}
spec:
  selector: {matchLabels: {app: agentd}}
  template:
    metadata: {labels: {app: agentd}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: busybox, command: ["sleep", "3600"]}]
`);
    await until(() => json('get', 'daemonset', 'agentd').status?.numberReady === 1, 'one DaemonSet pod ready', 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    const pods = () => (json('get', 'pods', '-l', 'app=agentd').items as any[]).filter((p) => !p.metadata.deletionTimestamp);
    expect(pods().map((p) => p.spec.nodeName)).toEqual([NODES[0]]);
    expect(json('get', 'daemonset', 'agentd').status.desiredNumberScheduled).toBe(1);
    // the taint goes: the other node gets its pod
    expect(kubectl('taint', 'node', NODES[1]!, 'dedicated=infra:NoSchedule-').code).toBe(0);
    await until(() => json('get', 'daemonset', 'agentd').status?.numberReady === 2, 'a DaemonSet pod ready on each node', 90_000);
    expect(pods().map((p) => p.spec.nodeName).sort()).toEqual([...NODES].sort());
  }, 200_000);

  it('drains a node: its Deployment pods move to the other node one at a time, as the PodDisruptionBudget allows', async () => {
    apply('web', `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: c
        image: busybox
        command: ["sleep", "3600"]
        readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 3
  selector: {matchLabels: {app: web}}
`);
    await until(() => json('get', 'deployment', 'web').status?.availableReplicas === 4, 'web 4/4', 120_000);
    const on = (node: string) => (json('get', 'pods', '-l', 'app=web', '--field-selector', `spec.nodeName=${node}`).items as any[]).filter((p) => !p.metadata.deletionTimestamp);
    expect(on(NODES[0]!).length).toBeGreaterThan(0);
    await until(() => json('get', 'pdb', 'web').status?.disruptionsAllowed === 1, 'the budget to allow one disruption', 30_000);
    const watch = new PodWatch(skiff, 'default', undefined, 'app=web');
    try {
      await until(() => watch.ready() === 4, 'the watch to see 4 healthy pods');
      watch.reset();
      const t0 = Date.now();
      const r = await kubectlAsync(skiff.kubeconfig, home, 'drain', NODES[0]!, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=240s');
      expect(r.code, r.err).toBe(0);
      await until(() => watch.ready() === 4, 'web whole again', 120_000);
      console.log(`drain of ${NODES[0]}: ${Date.now() - t0} ms; fewest healthy pods seen ${watch.minReady} of 4`);
      expect(watch.minReady).toBe(3); // one at a time: never two missing, and one did go
      expect(on(NODES[0]!).length).toBe(0);
      expect(on(NODES[1]!).length).toBe(4);
      expect(json('get', 'node', NODES[0]!).spec.unschedulable).toBe(true);
    } finally {
      await watch.stop();
      kubectl('uncordon', NODES[0]!);
    }
  }, 400_000);
});
