// A real node: `skiff server` and `skiff agent` as a user runs them, against this machine's
// containerd (CRI) and CNI plugins, driven with kubectl 1.32: the node registers and turns Ready,
// pods run (with pod IPs from the node's pod CIDR), logs and exec reach them, crash-looping
// containers back off, probes
// restart or hold back containers, a deleted pod's containers leave containerd, and an agent
// killed with SIGKILL and started again adopts its pods without touching their containers.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding, itNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

const NODE = `agent-test-${process.pid}`;
// the node's `ready` is this file's first test
const host = new HostNode({ name: 'agent', nodeName: NODE, ready: false });
const kubectl = (...args: string[]) => host.kubectl(...args);
const json = (...args: string[]) => host.kubectl.json(...args);
const apply = (yaml: string) => host.apply(yaml);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** containerd's container ids (of one pod, by the kubelet's label) */
const ctrContainers = (podName?: string) =>
  spawnSync('ctr', ['-n', 'k8s.io', 'containers', 'ls', '-q', ...(podName ? [`labels."io.kubernetes.pod.name"==${podName}`] : [])], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
const pod = (name: string, extra: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
${extra}`;

describeNeeding(['root', 'containerd'], 'node agent', (missing) => {
  beforeAll(async () => {
    if (!missing()) await host.start();
  }, HOST_NODE_START_MS);

  afterAll(
    () =>
      host.stop(() => {
        for (const p of ['hello', 'crash', 'liveness', 'readiness', 'web', 'hostport', 'adopt']) kubectl('delete', 'pod', p, '--ignore-not-found', '--grace-period=0', '--force');
      }),
    HOST_NODE_STOP_MS,
  );

  it('registers its Node, which turns Ready', async () => {
    await until(() => kubectl('get', 'node', NODE, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').out === 'True', 'the node to be Ready');
    const node = json('get', 'node', NODE);
    expect(node.metadata.labels['kubernetes.io/hostname']).toBe(NODE);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node.spec.podCIDR).toMatch(/^10\.244\.\d+\.0\/24$/);
    expect(Number(node.status.capacity.pods)).toBe(110);
    expect(kubectl('get', 'lease', '-n', 'kube-node-lease', NODE).code).toBe(0);
  }, 60_000);

  it('runs a pod: Running with an IP from the node, its container in containerd; deleting it removes them', async () => {
    apply(pod('hello', `    command: ["sh", "-c", "echo hello from skiff; exec sleep 3600"]\n`));
    const p = await until(() => {
      const x = json('get', 'pod', 'hello');
      return x.status?.phase === 'Running' && x;
    }, 'the pod to run');
    const node = json('get', 'node', NODE);
    const prefix = node.spec.podCIDR.replace(/0\/24$/, '');
    expect(p.status.podIP.startsWith(prefix)).toBe(true);
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    const id = p.status.containerStatuses[0].containerID.replace('containerd://', '');
    expect(ctrContainers()).toContain(id);
    // logs and exec go from the API server to this node's agent over NATS
    await until(() => kubectl('logs', 'hello').out.includes('hello from skiff'), 'the log line', 10_000);
    const ex = kubectl('exec', 'hello', '--', 'sh', '-c', 'echo hi from $(hostname)');
    expect(ex.code, ex.err).toBe(0);
    expect(ex.out.trim()).toBe('hi from hello');
    expect(kubectl('delete', 'pod', 'hello').code).toBe(0);
    expect(kubectl('get', 'pod', 'hello').code).not.toBe(0);
    expect(ctrContainers()).not.toContain(id);
  }, 60_000);

  it('restarts a container that exits non-zero, with back-off: CrashLoopBackOff', async () => {
    apply(pod('crash', `    command: ["sh", "-c", "echo crashing; exit 3"]\n`));
    let sawBackOff = false;
    const s = await until(() => {
      const st = json('get', 'pod', 'crash').status?.containerStatuses?.[0];
      if (st?.state?.waiting?.reason === 'CrashLoopBackOff') sawBackOff = true;
      return sawBackOff && st.restartCount >= 1 && st;
    }, 'a restart after CrashLoopBackOff', 45_000);
    expect(s.lastState.terminated.exitCode).toBe(3);
    expect(kubectl('get', 'pod', 'crash').out).toMatch(/CrashLoopBackOff|Error|Running/);
  }, 60_000);

  it('restarts a container whose liveness probe fails', async () => {
    apply(
      pod(
        'liveness',
        `    command: ["sh", "-c", "touch /tmp/healthy; sleep 2; rm /tmp/healthy; exec sleep 3600"]
    livenessProbe:
      exec: {command: ["cat", "/tmp/healthy"]}
      periodSeconds: 1
      failureThreshold: 1
`,
      ),
    );
    await until(() => json('get', 'pod', 'liveness').status?.containerStatuses?.[0]?.restartCount >= 1, 'the liveness restart', 45_000);
    const events = json('get', 'events', '--field-selector', 'involvedObject.name=liveness');
    expect(events.items.some((e: { reason: string; message: string }) => e.reason === 'Unhealthy' && /Liveness probe failed/.test(e.message))).toBe(true);
  }, 60_000);

  it('keeps a container whose readiness probe fails running but not Ready', async () => {
    apply(
      pod(
        'readiness',
        `    command: ["sh", "-c", "exec sleep 3600"]
    readinessProbe:
      exec: {command: ["false"]}
      periodSeconds: 1
`,
      ),
    );
    await until(() => json('get', 'pod', 'readiness').status?.phase === 'Running', 'the pod to run');
    await sleep(3_000);
    const p = json('get', 'pod', 'readiness');
    expect(p.status.containerStatuses[0].ready).toBe(false);
    expect(p.status.containerStatuses[0].restartCount).toBe(0);
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('False');
  }, 60_000);

  it('runs init containers first, fills env and volumes from a ConfigMap, and marks a pod Ready by an HTTP probe', async () => {
    apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {GREETING: hello-from-configmap}
---
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  volumes: [{name: www, emptyDir: {}}]
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "echo $GREETING > /www/index.html"]
    env: [{name: GREETING, valueFrom: {configMapKeyRef: {name: web-config, key: GREETING}}}]
    volumeMounts: [{name: www, mountPath: /www}]
  containers:
  - name: web
    image: busybox
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    volumeMounts: [{name: www, mountPath: /www}]
    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
`);
    const p = await until(() => {
      const x = json('get', 'pod', 'web');
      return x.status?.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && x;
    }, 'the pod to be Ready', 30_000);
    expect(p.status.initContainerStatuses[0].state.terminated.exitCode).toBe(0);
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'Initialized').status).toBe('True');
    // the pod network reaches the pod from the node
    const body = await (await fetch(`http://${p.status.podIP}:8080/`)).text();
    expect(body.trim()).toBe('hello-from-configmap');
    kubectl('delete', 'pod', 'web', '--wait=false');
  }, 60_000);

  it('publishes a hostPort on the node address (an element of the pod network nftables map)', async () => {
    const hostPort = 20_000 + (process.pid % 10_000);
    apply(
      pod(
        'hostport',
        `    command: ["sh", "-c", "mkdir -p /www && echo via-hostport > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080, hostPort: ${hostPort}}]
    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
`,
      ),
    );
    await until(() => json('get', 'pod', 'hostport').status?.containerStatuses?.[0]?.ready === true, 'the pod to be ready', 30_000);
    const address = json('get', 'node', NODE).status.addresses.find((a: { type: string }) => a.type === 'InternalIP').address;
    const body = await (await fetch(`http://${address}:${hostPort}/`)).text();
    expect(body.trim()).toBe('via-hostport');
    kubectl('delete', 'pod', 'hostport', '--wait=false');
  }, 60_000);

  itNeeding(['registry'], 'pulls the image a pod names from a registry, and says ErrImagePull for one it lacks', async () => {
    // Debian's docker-registry on loopback, holding the pause image pushed there by containerd itself
    // (not busybox: the pulled image keeps its repo digest, and other tests' busybox containers
    // would then report that digest as their image)
    const port = 15_000 + (process.pid % 5_000);
    const repo = `127.0.0.1:${port}/skiff-test/pause:pull-${process.pid}`;
    const sandboxImage = spawnSync('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' }).stdout.split('\n').find((r) => /^registry\.k8s\.io\/pause:/.test(r))!;
    writeFileSync(join(host.home, 'registry.yml'), `version: 0.1\nstorage:\n  filesystem: {rootdirectory: ${join(host.home, 'registry')}}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
    const registry = spawn('/usr/bin/docker-registry', ['serve', join(host.home, 'registry.yml')], { stdio: 'ignore' });
    try {
      await until(() => spawnSync('ctr', ['-n', 'k8s.io', 'images', 'tag', '--force', sandboxImage, repo]).status === 0, 'the tag');
      await until(() => spawnSync('ctr', ['-n', 'k8s.io', 'images', 'push', '--plain-http', repo]).status === 0, 'the push to the registry', 20_000);
      spawnSync('ctr', ['-n', 'k8s.io', 'images', 'rm', repo]); // the node no longer has it: the agent must pull
      apply(pod('pulled', `    image: ${repo}\n    imagePullPolicy: IfNotPresent\n`).replace('    image: busybox\n', ''));
      apply(pod('missing', `    image: 127.0.0.1:${port}/skiff-test/nothing:here\n    command: ["sh", "-c", "exec sleep 3600"]\n`).replace('    image: busybox\n', ''));
      const p = await until(() => {
        const x = json('get', 'pod', 'pulled');
        return x.status?.phase === 'Running' && x;
      }, 'the pulled pod to run', 30_000);
      expect(p.status.containerStatuses[0].imageID).toContain('/skiff-test/pause@sha256:'); // the repo digest, as kubelet reports a pulled image
      const why = await until(() => json('get', 'pod', 'missing').status?.containerStatuses?.[0]?.state?.waiting, 'the missing image to be reported', 30_000);
      expect(['ErrImagePull', 'ImagePullBackOff']).toContain(why.reason);
      expect(why.message).toContain('nothing:here');
    } finally {
      kubectl('delete', 'pod', 'pulled', 'missing', '--grace-period=0', '--force');
      registry.kill('SIGTERM');
      // the pulled image goes too (its repo digest would stay on the pause image)
      await sleep(1_500); // the agent removes the pod's container first
      const refs = spawnSync('ctr', ['-n', 'k8s.io', 'images', 'ls', '-q'], { encoding: 'utf8' }).stdout.split('\n');
      for (const r of refs) if (r.startsWith(`127.0.0.1:${port}/`)) spawnSync('ctr', ['-n', 'k8s.io', 'images', 'rm', r]);
    }
  }, 90_000);

  it('leaves running containers alone when the agent is killed with SIGKILL, and adopts them when it comes back', async () => {
    apply(pod('adopt', `    command: ["sh", "-c", "exec sleep 3600"]\n`));
    const before = await until(() => {
      const x = json('get', 'pod', 'adopt');
      return x.status?.phase === 'Running' && x;
    }, 'the pod to run');
    const id = before.status.containerStatuses[0].containerID.replace('containerd://', '');
    const mine = ctrContainers('adopt');
    expect(mine).toContain(id);
    await host.stopAgent('SIGKILL');
    await sleep(1_000);
    expect(ctrContainers()).toContain(id);
    host.startAgent();
    await sleep(5_000); // several relists and syncs
    const after = json('get', 'pod', 'adopt');
    expect(after.status.phase).toBe('Running');
    expect(after.status.containerStatuses[0].containerID).toBe(`containerd://${id}`);
    expect(after.status.containerStatuses[0].restartCount).toBe(0);
    expect(ctrContainers()).toContain(id);
    expect(ctrContainers('adopt')).toEqual(mine); // nothing new was started, nothing removed
    kubectl('delete', 'pod', 'adopt', '--wait=false');
  }, 60_000);
});
