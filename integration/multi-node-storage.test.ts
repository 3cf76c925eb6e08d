// Storage across nodes (issue 14's multi-node Must-show): two node containers, each running
// `skiff agent` and, beside it, `skiff csi-hostpath` (one driver per node, as a user runs it), with
// the CSIDriver and the default WaitForFirstConsumer class of deploy/storage/hostpath.yaml. A pod
// with a new claim goes where the scheduler puts it and the volume is made on that node (the claim's
// selected-node, the PV's node affinity, the image file in that container); a second pod on the
// claim, preferring the other node, still lands on the volume's node and reads what the first wrote;
// a pod on the claim pinned to the other node stays Pending with the scheduler's reason.
// Loop devices are the host kernel's: everything this test attaches is detached before the
// containers go (afterAll), and only devices backed by this test's own image files are touched.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { until, type Kubectl } from './kubectl-client.ts';
import { startNodeCluster, type NodeCluster } from './node-cluster.ts';

const NODES = ['stor-node-1', 'stor-node-2'];
const DRIVER = 'hostpath.csi.skiff.io';
const TOPOLOGY_KEY = 'topology.hostpath.csi.skiff.io/node';
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** `skiff csi-hostpath`'s volume images in a node container (its default --data-dir under the agent's root) */
const VOLUMES_DIR = '/var/lib/skiff/csi-hostpath/volumes';
const HOSTPATH_YAML = fileURLToPath(new URL('../deploy/storage/hostpath.yaml', import.meta.url));

let cluster: NodeCluster | undefined;
let kubectl: Kubectl;
const json = (...args: string[]) => kubectl.json(...args);

const apply = (name: string, yaml: string) => cluster!.apply(name, yaml);

const pod = (name: string, command: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
${extra}  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", ${JSON.stringify(command)}]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
`;

const running = (name: string) =>
  until(() => {
    const p = json('get', 'pod', name);
    return p.status?.phase === 'Running' && p;
  }, `${name} to run`, 120_000, 1000);

/** Runs `script` with sh in the container of `node`; its output, or a thrown error with it. */
async function inNode(node: string, script: string): Promise<string> {
  const r = await cluster!.container(node).exec(['sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${node}: ${script}: exit ${r.exitCode}: ${r.output}`);
  return r.output;
}

/**
 * Unmounts and detaches, in each node container, what is backed by this test's volume images (a
 * device still held by a pod's mount namespace is detached lazily, when the container goes).
 */
async function releaseLoops(): Promise<void> {
  const script = `for f in ${VOLUMES_DIR}/*.img; do
  [ -f "$f" ] || continue
  for d in $(losetup --noheadings --output NAME --associated "$f"); do
    awk -v d="$d" '$1 == d { print $2 }' /proc/mounts | while read -r m; do umount "$m" || umount -l "$m"; done
    losetup --detach "$d" && echo "detached $d ($f)"
  done
done`;
  for (const node of cluster?.names ?? []) {
    const out = await inNode(node, script).catch((e: Error) => `cleanup failed: ${e.message}`);
    if (out.trim()) console.log(`[${node}] ${out.trim()}`);
  }
}

describeNeeding(['root', 'docker'], 'storage across node containers (host-path CSI driver on each node)', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    cluster = await startNodeCluster({
      nodes: NODES,
      prefix: 'mnstorage',
      sidecars: (node) => [['csi-hostpath', '--node-id', node, '--capacity', '2Gi', '--log-level', 'warn']],
    });
    kubectl = cluster.kubectl;
    await cluster.ready();
    const r = kubectl('apply', '-f', HOSTPATH_YAML);
    expect(r.code, r.err).toBe(0);
  }, 600_000);

  afterAll(async () => {
    if (!cluster) return;
    try {
      // the orderly way first: pods go (unpublish: unmount, detach), then the claim (reclaim Delete:
      // DeleteVolume removes the image); what is left after that is released by hand
      kubectl('delete', 'pod', '--all', '--grace-period=1', '--wait=false');
      await until(() => (json('get', 'pods').items as unknown[]).length === 0, 'the pods to go', 90_000).catch((e: Error) => console.log(e.message));
      kubectl('delete', 'pvc', '--all', '--wait=false');
      await until(() => (json('get', 'pv').items as unknown[]).length === 0, 'the volumes to be deleted', 90_000).catch((e: Error) => console.log(e.message));
    } finally {
      await releaseLoops();
      await cluster.stop();
    }
  }, 300_000);

  it('registers the driver on both nodes (CSINode, the topology label)', async () => {
    for (const node of NODES) {
      const drivers = () => kubectl('get', 'csinode', node, '-o', 'jsonpath={.spec.drivers[*].name}').out.split(' ');
      await until(() => drivers().includes(DRIVER), `${node}'s CSINode to list ${DRIVER}`, 120_000, 1000);
      await until(() => json('get', 'node', node).metadata.labels?.[TOPOLOGY_KEY] === node, `${node} to carry ${TOPOLOGY_KEY}`, 60_000, 1000);
    }
    expect(json('get', 'storageclass', 'hostpath').volumeBindingMode).toBe('WaitForFirstConsumer');
  }, 200_000);

  let volumeNode = '';

  it('provisions a WaitForFirstConsumer claim on the node the scheduler chose for its pod', async () => {
    apply('claim', `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: hostpath
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 400Mi}}
`);
    // nobody uses it yet: WaitForFirstConsumer keeps it Pending, with no node chosen
    await new Promise((r) => setTimeout(r, 2000));
    const waiting = json('get', 'pvc', 'data');
    expect(waiting.status.phase).toBe('Pending');
    expect(waiting.metadata.annotations?.[SELECTED_NODE]).toBeUndefined();

    apply('writer', pod('writer', 'echo "written on $(cat /etc/hostname)" > /data/file && sync && exec sleep 3600'));
    const p = await running('writer');
    volumeNode = p.spec.nodeName;
    expect(NODES).toContain(volumeNode);
    const otherNode = NODES.find((n) => n !== volumeNode)!;

    const pvc = await until(() => {
      const c = json('get', 'pvc', 'data');
      return c.status?.phase === 'Bound' && c;
    }, 'the claim to be Bound', 60_000);
    expect(pvc.metadata.annotations[SELECTED_NODE]).toBe(volumeNode);
    const pv = json('get', 'pv', pvc.spec.volumeName);
    expect(pv.spec.csi.driver).toBe(DRIVER);
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms).toEqual([{ matchExpressions: [{ key: TOPOLOGY_KEY, operator: 'In', values: [volumeNode] }] }]);

    // the image file is in that node's container, attached to a loop device there; not on the other
    const image = `${VOLUMES_DIR}/${pv.spec.csi.volumeHandle}.img`;
    expect(await inNode(volumeNode, `ls ${image}`)).toContain(image);
    const device = (await inNode(volumeNode, `losetup --noheadings --output NAME --associated ${image}`)).trim();
    expect(device).toMatch(/^\/dev\/loop\d+$/);
    expect(await inNode(volumeNode, `grep '^${device} ' /proc/mounts`)).toContain(' xfs ');
    expect(await inNode(otherNode, `ls ${VOLUMES_DIR} 2>/dev/null || true`)).not.toContain('.img');

    // the pod wrote to it
    const r = kubectl('exec', 'writer', '--', 'cat', '/data/file');
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim()).toMatch(/^written on /);
  }, 300_000);

  it('puts a second pod of the claim on the volume node, though it prefers the other node, and it reads the file', async () => {
    expect(volumeNode, 'the previous test chose the node').not.toBe('');
    const otherNode = NODES.find((n) => n !== volumeNode)!;
    const written = kubectl('exec', 'writer', '--', 'cat', '/data/file').out.trim();
    expect(kubectl('delete', 'pod', 'writer', '--grace-period=1').code).toBe(0);
    // the volume left the node's mounts with the pod (unpublished, detached), and comes back below
    const image = `${VOLUMES_DIR}/${json('get', 'pv', json('get', 'pvc', 'data').spec.volumeName).spec.csi.volumeHandle}.img`;
    await until(async () => (await inNode(volumeNode, `losetup --noheadings --associated ${image}`)).trim() === '', 'the loop device to be detached', 60_000);

    // a soft preference for the other node: only VolumeBinding's filter (the PV's node affinity) keeps
    // it off there
    apply('reader', pod('reader', 'cat /data/file && exec sleep 3600', `  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        preference: {matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${otherNode}]}]}
`));
    const p = await running('reader');
    expect(p.spec.nodeName).toBe(volumeNode);
    await until(() => kubectl('logs', 'reader').out.trim() === written, 'the reader to print what the writer wrote', 30_000);
  }, 300_000);

  it('leaves a pod of the claim that must run on the other node Pending, with the scheduler saying why', async () => {
    expect(volumeNode, 'the first test chose the node').not.toBe('');
    const otherNode = NODES.find((n) => n !== volumeNode)!;
    apply('misplaced', pod('misplaced', 'exec sleep 3600', `  nodeSelector: {kubernetes.io/hostname: ${otherNode}}\n`));
    const cond = await until(() => {
      const c = (json('get', 'pod', 'misplaced').status?.conditions ?? []).find((x: { type: string }) => x.type === 'PodScheduled');
      return c?.status === 'False' && c;
    }, 'the scheduler to give up on misplaced', 60_000);
    expect(cond.reason).toBe('Unschedulable');
    expect(cond.message).toContain('volume node affinity conflict');
    expect(json('get', 'pod', 'misplaced').spec.nodeName).toBeUndefined();
    const events = json('get', 'events', '--field-selector', 'involvedObject.name=misplaced').items as { reason: string; message: string }[];
    expect(events.some((e) => e.reason === 'FailedScheduling' && e.message.includes('volume node affinity conflict'))).toBe(true);
  }, 120_000);

  it('deletes the volume on its node when the claim goes (reclaim Delete): the PV, the image file, the loop device', async () => {
    expect(volumeNode, 'the first test chose the node').not.toBe('');
    const pvName = json('get', 'pvc', 'data').spec.volumeName;
    const image = `${VOLUMES_DIR}/${json('get', 'pv', pvName).spec.csi.volumeHandle}.img`;
    expect(kubectl('delete', 'pod', 'reader', 'misplaced', '--grace-period=1').code).toBe(0);
    expect(kubectl('delete', 'pvc', 'data', '--wait=false').code).toBe(0);
    await until(() => kubectl('get', 'pv', pvName).code !== 0, `PV ${pvName} to be deleted`, 90_000, 1000);
    expect(await inNode(volumeNode, `ls ${image} 2>&1 || true`)).toContain('No such file');
    expect((await inNode(volumeNode, `losetup --noheadings --associated ${image}`)).trim()).toBe('');
  }, 150_000);
});
