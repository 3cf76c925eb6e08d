// Storage on one real node, as a user meets it: `skiff up` (with its `skiff csi-hostpath` child and
// the default StorageClass of deploy/storage/hostpath.yaml), containerd, and kubectl 1.32.
// - `kubectl get storageclass` shows `hostpath (default)`.
// - A claim without a class (WaitForFirstConsumer) waits for a pod, then binds; a pod writes a file,
//   is deleted, and a second pod mounting the claim reads it. Growing the claim grows what the
//   running pod sees (`df`), and status.capacity follows. Deleting the claim deletes the PV and the
//   volume (its image file and loop device on the host).
// - Retain: the PV (Released) and the data stay after the claim goes; the PV's policy patched to
//   Delete, the volume is deleted (as kube's PV controller does with a Released volume).
// - A StatefulSet's volumeClaimTemplates give each of 3 replicas its own bound claim; a deleted
//   replica comes back with its own data.
// - Bad input: a claim of a class that does not exist stays Pending with a ProvisioningFailed
//   Event; a claim larger than the driver's capacity, or ReadWriteMany (the driver serves one
//   node), gets ProvisioningFailed and leaves no volume.
// The driver's volumes are xfs images under <agent root>/csi-hostpath/volumes, each attached to a
// loop device while published; the test checks there is none of its own left at the end.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_AGENT_ROOT } from '../cli/home-dir.ts';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

/** where `skiff up`'s csi-hostpath keeps its volume images (its default --data-dir) */
const IMAGES = join(DEFAULT_AGENT_ROOT, 'csi-hostpath', 'volumes');
const DRIVER = 'hostpath.csi.skiff.io';
const MiB = 1024 * 1024;

const host = new HostNode({ name: 'storage-node', mode: 'up' });
const kubectl = (...args: string[]) => host.kubectl(...args);
const json = (...args: string[]) => host.kubectl.json(...args);
const apply = (yaml: string) => host.apply(yaml);

/** the image files and the loop devices (their backing files) of the driver, when the test began */
let imagesBefore = new Set<string>();
let loopsBefore = new Set<string>();

const images = (): string[] => (existsSync(IMAGES) ? readdirSync(IMAGES).filter((f) => f.endsWith('.img')) : []);
/**
 * The backing files of this host's loop devices that are the driver's images. Loop devices are the
 * kernel's, shared by every mount namespace: a node in a container (another test's) may have one
 * on a file of the same path in its own filesystem, so the file's device must be this host's too.
 */
const loopBackings = (): string[] => {
  // before the first `skiff up` on this machine there is no such directory, and no loop device of it
  const dir = [IMAGES, DEFAULT_AGENT_ROOT].find((d) => existsSync(d));
  if (!dir) return [];
  const dev = statSync(dir).dev;
  const majMin = `${(dev >> 8) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  const out = execFileSync('losetup', ['--list', '--json', '--output', 'BACK-MAJ:MIN,BACK-FILE'], { encoding: 'utf8' });
  if (!out.trim()) return []; // no loop device at all
  const devices = (JSON.parse(out) as { loopdevices: { 'back-maj:min': string; 'back-file': string | null }[] }).loopdevices;
  return devices.filter((d) => d['back-maj:min'].trim() === majMin && d['back-file']?.startsWith(`${IMAGES}/`)).map((d) => d['back-file']!);
};
const newImages = () => images().filter((f) => !imagesBefore.has(f));
const newLoops = () => loopBackings().filter((f) => !loopsBefore.has(f));

const pvc = (name: string, size: string, cls?: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]${cls ? `\n  storageClassName: ${cls}` : ''}
  resources:
    requests: {storage: ${size}}
`;

const pod = (name: string, claim: string, script: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", ${JSON.stringify(`${script}; exec sleep 3600`)}]
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: ${claim}}
`;

const phase = (kind: string, name: string) => kubectl('get', kind, name, '-o', 'jsonpath={.status.phase}').out;
const running = (name: string) => phase('pod', name) === 'Running';
const gone = (kind: string, name: string) => kubectl('get', kind, name).err.includes('NotFound');
const exec = (podName: string, ...cmd: string[]) => kubectl('exec', podName, '--', ...cmd);
/** the events of object `name` of `kind`, as "reason: message" lines */
const eventsOf = (kind: string, name: string): string[] =>
  json('get', 'events', '--field-selector', `involvedObject.kind=${kind},involvedObject.name=${name}`).items.map(
    (e: { reason: string; message: string }) => `${e.reason}: ${e.message}`,
  );
/** the PV bound to claim `name` */
const pvOf = (name: string) => kubectl('get', 'pvc', name, '-o', 'jsonpath={.spec.volumeName}').out;
/** the image file name of PV `pv`'s volume */
const imageOf = (pv: string) => `${kubectl('get', 'pv', pv, '-o', 'jsonpath={.spec.csi.volumeHandle}').out}.img`;
/** the size of the filesystem at /data in `podName`, in bytes (busybox `df -k`), 0 when exec fails */
const dfBytes = (podName: string): number => {
  const r = exec(podName, 'df', '-k', '/data');
  const line = r.out.trim().split('\n').at(-1)?.trim().split(/\s+/);
  return r.code === 0 && line ? Number(line[1]) * 1024 : 0;
};
async function deletePod(name: string): Promise<void> {
  kubectl('delete', 'pod', name, '--wait=false');
  await until(() => gone('pod', name), `pod ${name} to be gone`, 90_000, 500);
}

describeNeeding(['root', 'containerd'], 'Storage on a node (skiff up + csi-hostpath)', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    await host.start();
    // under the host lock: no other node on this host makes volumes meanwhile
    imagesBefore = new Set(images());
    loopsBefore = new Set(loopBackings());
  }, HOST_NODE_START_MS);

  afterAll(
    () =>
      host.stop(async () => {
        kubectl('delete', 'statefulset', 'web', '--ignore-not-found');
        kubectl('delete', 'pod', 'writer', 'reader', 'keeper', 'big-user', 'sharer', 'web-0', 'web-1', 'web-2', '--ignore-not-found', '--grace-period=0', '--force');
        await until(() => !host.podsOnNode().length, 'the pods to be gone', 60_000, 500).catch(() => {});
        kubectl('delete', 'pvc', '--all', '--wait=false');
        // a Retain volume left by a failed test: let the driver delete it too
        for (const pv of kubectl('get', 'pv', '-o', 'name').out.split('\n').filter(Boolean))
          kubectl('patch', pv, '--type=merge', '-p', '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}');
        await until(() => !kubectl('get', 'pv', '-o', 'name').out.trim(), 'every PV to be gone', 60_000, 500).catch((e) => process.stderr.write(`[storage-node] ${e.message}\n`));
        kubectl('delete', 'storageclass', 'keep', '--ignore-not-found');
      }),
    HOST_NODE_STOP_MS + 60_000,
  );

  it('kubectl get storageclass shows hostpath as the default class', async () => {
    // up creates it at start; the driver registers with the agent a moment later
    await until(() => /^hostpath \(default\)\s+hostpath\.csi\.skiff\.io\s+Delete\s+WaitForFirstConsumer\s+true\s/m.test(kubectl('get', 'storageclass').out), 'hostpath (default) in kubectl get sc', 30_000);
    await until(() => kubectl('get', 'csinode', host.nodeName, '-o', 'jsonpath={.spec.drivers[*].name}').out.includes(DRIVER), 'the driver registered on the node (CSINode)', 60_000);
  }, 120_000);

  it('a claim waits for its first pod, binds, keeps a file across pods, grows under a running pod, and goes with its volume', async () => {
    apply(pvc('notes', '300Mi'));
    // the default class is given; WaitForFirstConsumer: no volume before a pod uses it
    expect(kubectl('get', 'pvc', 'notes', '-o', 'jsonpath={.spec.storageClassName}').out).toBe('hostpath');
    await until(() => eventsOf('PersistentVolumeClaim', 'notes').some((e) => e.startsWith('WaitForFirstConsumer:')), 'the WaitForFirstConsumer event', 30_000);
    expect(phase('pvc', 'notes')).toBe('Pending');
    expect(kubectl('get', 'pv', '-o', 'name').out.trim()).toBe('');

    apply(pod('writer', 'notes', 'echo kept-across-pods > /data/note && sync'));
    await until(() => running('writer'), 'writer to run', 120_000, 500);
    expect(phase('pvc', 'notes')).toBe('Bound');
    const pv = pvOf('notes');
    const image = imageOf(pv);
    expect(images()).toContain(image);
    expect(loopBackings()).toContain(join(IMAGES, image));
    await until(() => exec('writer', 'cat', '/data/note').out.trim() === 'kept-across-pods', "the writer's file", 30_000);
    await deletePod('writer');

    apply(pod('reader', 'notes', 'true'));
    await until(() => running('reader'), 'reader to run', 120_000, 500);
    expect(exec('reader', 'cat', '/data/note').out.trim()).toBe('kept-across-pods');

    // growth while the reader runs: the driver's minimum is 300 MiB, so 300Mi -> 600Mi (df shows
    // less than the image: xfs keeps its log and metadata out of the total)
    const before = dfBytes('reader');
    expect(before).toBeGreaterThan(200 * MiB);
    expect(before).toBeLessThanOrEqual(300 * MiB);
    const patched = kubectl('patch', 'pvc', 'notes', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"600Mi"}}}}');
    expect(patched.code, patched.err).toBe(0);
    await until(() => dfBytes('reader') > before + 250 * MiB, 'the running pod to see the grown filesystem', 120_000, 1000);
    expect(dfBytes('reader')).toBeLessThanOrEqual(600 * MiB);
    await until(() => kubectl('get', 'pvc', 'notes', '-o', 'jsonpath={.status.capacity.storage}').out === '600Mi', "the claim's status.capacity to be 600Mi", 60_000, 500);
    expect(kubectl('get', 'pv', pv, '-o', 'jsonpath={.spec.capacity.storage}').out).toBe('600Mi');
    expect(exec('reader', 'cat', '/data/note').out.trim()).toBe('kept-across-pods');

    // reclaim Delete: the claim goes, and with it the PV, the image and the loop device
    await deletePod('reader');
    expect(kubectl('delete', 'pvc', 'notes').code).toBe(0);
    await until(() => gone('pv', pv), `PV ${pv} to be deleted`, 60_000, 500);
    await until(() => !images().includes(image), `the volume image ${image} to be deleted`, 30_000, 500);
    expect(loopBackings()).not.toContain(join(IMAGES, image));
  }, 600_000);

  it('with reclaim Retain the PV and the data stay after the claim; patched to Delete, the volume is deleted', async () => {
    apply(`apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: keep
provisioner: ${DRIVER}
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`);
    apply(pvc('precious', '300Mi', 'keep'));
    apply(pod('keeper', 'precious', 'echo precious > /data/p && sync'));
    await until(() => running('keeper'), 'keeper to run', 120_000, 500);
    await until(() => exec('keeper', 'cat', '/data/p').out.trim() === 'precious', "the keeper's file", 30_000);
    const pv = pvOf('precious');
    expect(kubectl('get', 'pv', pv, '-o', 'jsonpath={.spec.persistentVolumeReclaimPolicy}').out).toBe('Retain');
    const image = imageOf(pv);
    await deletePod('keeper');
    expect(kubectl('delete', 'pvc', 'precious').code).toBe(0);
    await until(() => phase('pv', pv) === 'Released', `PV ${pv} to be Released`, 60_000, 500);
    // give a wrong deleter time to act before checking that nothing did
    await new Promise((r) => setTimeout(r, 3000));
    expect(phase('pv', pv)).toBe('Released');
    expect(images()).toContain(image);
    expect(kubectl('get', 'pv', '-o', 'wide').out).toMatch(new RegExp(`^${pv}\\s+300Mi\\s+RWO\\s+Retain\\s+Released\\s+default/precious\\s+keep\\s`, 'm'));

    const patched = kubectl('patch', 'pv', pv, '--type=merge', '-p', '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}');
    expect(patched.code, patched.err).toBe(0);
    await until(() => gone('pv', pv), `PV ${pv} to be deleted once its policy is Delete`, 60_000, 500);
    await until(() => !images().includes(image), `the volume image ${image} to be deleted`, 30_000, 500);
  }, 600_000);

  it('a StatefulSet gets a bound claim per replica, and a deleted replica comes back with its own data', async () => {
    apply(`apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox
        imagePullPolicy: IfNotPresent
        # the first start writes the pod's name; every start counts itself
        command: ["sh", "-c", "[ -f /data/name ] || hostname > /data/name; echo start >> /data/starts; sync; exec sleep 3600"]
        volumeMounts:
        - {name: data, mountPath: /data}
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 300Mi}
`);
    const names = ['web-0', 'web-1', 'web-2'];
    await until(() => names.every(running), 'web-0..2 to run', 300_000, 1000);
    for (const n of names) {
      expect(phase('pvc', `data-${n}`)).toBe('Bound');
      await until(() => exec(n, 'cat', '/data/name').out.trim() === n, `${n}'s own name in its volume`, 30_000);
    }
    const pvs = new Set(names.map((n) => pvOf(`data-${n}`)));
    expect(pvs.size).toBe(3);

    const uid = kubectl('get', 'pod', 'web-1', '-o', 'jsonpath={.metadata.uid}').out;
    const volume = pvOf('data-web-1');
    kubectl('delete', 'pod', 'web-1', '--wait=false');
    await until(() => {
      const p = json('get', 'pod', 'web-1');
      return p.metadata.uid !== uid && p.status?.phase === 'Running';
    }, 'a new web-1 to run', 180_000, 1000).catch((e) => Promise.reject(new Error(`${e.message}; events: ${eventsOf('Pod', 'web-1').join(' | ')}`)));
    expect(pvOf('data-web-1')).toBe(volume);
    await until(() => exec('web-1', 'cat', '/data/starts').out.trim().split('\n').length === 2, "web-1's second start in its volume", 30_000);
    expect(exec('web-1', 'cat', '/data/name').out.trim()).toBe('web-1');

    // StatefulSet claims stay when it goes (persistentVolumeClaimRetentionPolicy Retain): remove them
    expect(kubectl('delete', 'statefulset', 'web').code).toBe(0);
    await until(() => names.every((n) => gone('pod', n)), 'the replicas to be gone', 90_000, 500);
    expect(names.every((n) => phase('pvc', `data-${n}`) === 'Bound')).toBe(true);
    expect(kubectl('delete', 'pvc', ...names.map((n) => `data-${n}`)).code).toBe(0);
    await until(() => [...pvs].every((pv) => gone('pv', pv)), "the replicas' PVs to be deleted", 60_000, 500);
  }, 600_000);

  it('bad input: an unknown class stays Pending with an Event; a claim above the capacity, or of an access mode the driver lacks, fails to provision and leaves no volume', async () => {
    apply(pvc('lost', '300Mi', 'no-such-class'));
    await until(() => eventsOf('PersistentVolumeClaim', 'lost').some((e) => e === 'ProvisioningFailed: storageclass.storage.k8s.io "no-such-class" not found'), 'the ProvisioningFailed event of the unknown class', 30_000);
    expect(phase('pvc', 'lost')).toBe('Pending');
    expect(kubectl('delete', 'pvc', 'lost').code).toBe(0);

    // up's driver has 10Gi in all
    const imagesNow = images().length;
    apply(pvc('huge', '50Gi'));
    apply(pod('big-user', 'huge', 'true'));
    await until(() => eventsOf('PersistentVolumeClaim', 'huge').some((e) => e.startsWith('ProvisioningFailed:')), 'a ProvisioningFailed event for the claim above the capacity', 120_000, 1000);
    const failed = eventsOf('PersistentVolumeClaim', 'huge').find((e) => e.startsWith('ProvisioningFailed:'))!;
    expect(failed).toMatch(/more than this driver's whole capacity/);
    expect(phase('pvc', 'huge')).toBe('Pending');
    expect(phase('pod', 'big-user')).toBe('Pending');
    expect(kubectl('get', 'pv', '-o', 'jsonpath={.items[*].spec.claimRef.name}').out.split(' ')).not.toContain('huge');
    expect(images().length).toBe(imagesNow);
    await deletePod('big-user');
    expect(kubectl('delete', 'pvc', 'huge').code).toBe(0);

    // an access mode the driver does not serve (its volumes live on one node)
    apply(pvc('shared', '300Mi').replace('[ReadWriteOnce]', '[ReadWriteMany]'));
    apply(pod('sharer', 'shared', 'true'));
    await until(() => eventsOf('PersistentVolumeClaim', 'shared').some((e) => e.startsWith('ProvisioningFailed:')), 'a ProvisioningFailed event for the ReadWriteMany claim', 120_000, 1000);
    expect(eventsOf('PersistentVolumeClaim', 'shared').find((e) => e.startsWith('ProvisioningFailed:'))).toMatch(/access mode MULTI_NODE_MULTI_WRITER is not supported/);
    expect(phase('pvc', 'shared')).toBe('Pending');
    expect(kubectl('get', 'pv', '-o', 'jsonpath={.items[*].spec.claimRef.name}').out.split(' ')).not.toContain('shared');
    expect(images().length).toBe(imagesNow);
    await deletePod('sharer');
    expect(kubectl('delete', 'pvc', 'shared').code).toBe(0);
  }, 300_000);

  it('leaves no volume image or loop device of its own behind', async () => {
    await until(() => !kubectl('get', 'pv', '-o', 'name').out.trim(), 'no PV left', 60_000, 500);
    expect(newImages()).toEqual([]);
    expect(newLoops()).toEqual([]);
  }, 120_000);
});
