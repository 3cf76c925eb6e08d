// kubectl 1.32 and Debian's kubectl 1.20 against a real `skiff server`: get, create -f, apply -f,
// delete and get -w on a ConfigMap, a Namespace and a Pod (which stays Pending: nothing schedules);
// auth can-i; wait; get --raw.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: NS
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: NS
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: NS
  labels: {app: web}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "echo hi; sleep 3600"]
`;

const kubectls = [
  ['1.32', process.env.SKIFF_KUBECTL_132],
  ['1.20', process.env.SKIFF_KUBECTL_120],
] as const;

let home: string;
let skiff: SkiffProcess;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
  skiff = await startSkiff(home);
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

describe.each(kubectls)('kubectl %s', (version, bin) => {
  const ns = `demo-${version.replace('.', '-')}`;
  const cache = () => join(home, `kubectl-cache-${version}`);
  const k = (...args: string[]) => {
    const r = spawnSync(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', cache(), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('is installed', () => {
    expect(bin && existsSync(bin)).toBeTruthy();
  });

  it('auth can-i asks the server (a SelfSubjectAccessReview, in protobuf) and --list shows the rules (a SelfSubjectRulesReview)', () => {
    const r = k('auth', 'can-i', 'create', 'deployments.apps', '-n', 'default', '-v=6');
    expect(r.out.trim()).toBe('yes');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/POST https:\/\/127\.0\.0\.1:\d+\/apis\/authorization\.k8s\.io\/v1\/selfsubjectaccessreviews 201/);
    const list = k('auth', 'can-i', '--list', '-n', 'default');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
    expect(list.out).toMatch(/^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  });

  it('wait --for=condition / delete (and jsonpath on 1.32) follows the objects; get --raw reads a path', async () => {
    const name = `wait-${version.replace('.', '-')}`;
    expect(k('create', 'deployment', name, '--image=busybox', '--replicas=0', '-n', 'default').code).toBe(0);
    // the deployment controller (default distribution) sets Available once zero replicas are up
    const avail = k('wait', '--for=condition=Available', `deployment/${name}`, '-n', 'default', '--timeout=30s');
    expect(avail.out).toContain(`deployment.apps/${name} condition met`);
    expect(avail.code).toBe(0);
    expect(k('create', 'configmap', name, '--from-literal=a=1', '-n', 'default').code).toBe(0);
    if (version === '1.32') expect(k('wait', `--for=jsonpath={.data.a}=1`, `configmap/${name}`, '-n', 'default', '--timeout=10s').out).toContain(`configmap/${name} condition met`);
    // a condition that never comes: a timeout, exit 1
    const never = k('wait', '--for=condition=Frozen', `deployment/${name}`, '-n', 'default', '--timeout=2s');
    expect(never.code).toBe(1);
    expect(never.err).toMatch(/timed out waiting for the condition/);
    // --for=delete: the object goes while kubectl watches it (started first; -v=6 shows its watch)
    const deleting = spawn(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', cache(), 'wait', '--for=delete', `configmap/${name}`, '-n', 'default', '--timeout=60s', '-v=6'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    deleting.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => deleting.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      deleting.stderr.on('data', (d) => {
        err += d;
        if (/watch=true/.test(err)) resolve();
      });
      void exited.then(() => reject(new Error(`kubectl wait ended before it watched: ${err}`)));
    });
    expect(k('delete', 'configmap', name, '-n', 'default').code).toBe(0);
    expect(await exited).toBe(0);
    expect(out).toMatch(new RegExp(`configmap/${name} (condition met|deleted)`));
    const raw = JSON.parse(k('get', '--raw', `/apis/apps/v1/namespaces/default/deployments/${name}`).out);
    expect(raw).toMatchObject({ kind: 'Deployment', metadata: { name } });
  });

  it('creates, gets, applies, watches and deletes a Namespace, a ConfigMap and a Pod', async () => {
    const file = join(home, `${ns}.yaml`);
    writeFileSync(file, MANIFEST.replaceAll('NS', ns));
    const created = k('create', '-f', file);
    expect(created.err).toBe('');
    expect(created.out).toContain(`namespace/${ns} created`);
    expect(created.out).toContain('configmap/cfg created');
    expect(created.out).toContain('pod/web created');

    const pods = k('get', 'pods', '-n', ns);
    expect(pods.code).toBe(0);
    expect(pods.out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(pods.out).toMatch(/web\s+0\/1\s+Pending\s+0/);
    expect(k('get', 'configmap', 'cfg', '-n', ns, '-o', 'jsonpath={.data.greeting}').out).toBe('hello');
    expect(k('get', 'namespace', ns).out).toMatch(new RegExp(`${ns}\\s+Active`));

    // get -w sees a change made while it watches
    const watch = spawn(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', cache(), 'get', 'configmaps', '-n', ns, '-w', '--output-watch-events'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let watched = '';
    watch.stdout.on('data', (d) => (watched += d));
    await new Promise((r) => setTimeout(r, 1500));
    const second = join(home, `second-${version}.yaml`);
    writeFileSync(second, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n  namespace: ${ns}\ndata:\n  a: b\n`);
    expect(k('apply', '-f', second).code).toBe(0);
    const deadline = Date.now() + 10_000;
    while (!/ADDED\s+second/.test(watched) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    watch.kill('SIGTERM');
    expect(watched).toMatch(/ADDED\s+cfg/);
    expect(watched).toMatch(/ADDED\s+second/);

    // delete the namespaced objects, then apply them back (first apply: create)
    expect(k('delete', 'pod', 'web', '-n', ns).out).toContain('pod "web" deleted');
    expect(k('delete', 'configmap', 'cfg', 'second', '-n', ns).code).toBe(0);
    expect(k('get', 'pods', '-n', ns, '-o', 'name').out.trim()).toBe('');
    const applied = k('apply', '-f', file);
    expect(applied.code).toBe(0);
    // the namespace was made by `create`: kubectl warns that it lacks the last-applied annotation
    expect(applied.err).not.toContain('Error');
    expect(applied.out).toContain('configmap/cfg created');
    expect(applied.out).toContain('pod/web created');
    expect(k('get', 'pod', 'web', '-n', ns, '-o', 'jsonpath={.status.phase}').out).toBe('Pending');

    // deleting the namespace deletes what is in it
    expect(k('delete', 'namespace', ns).out).toContain(`namespace "${ns}" deleted`);
    const gone = k('get', 'namespace', ns);
    expect(gone.code).not.toBe(0);
    expect(gone.err).toContain('NotFound');
    expect(k('get', 'pods', '-A', '-o', 'name').out).not.toContain('web');
  });

  it('shows the server error for an invalid object and stores nothing', () => {
    const file = join(home, `bad-${version}.yaml`);
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: c\n');
    const r = k('create', '-f', file, '-n', 'default');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('The Pod "bad" is invalid');
    expect(r.err).toContain('spec.containers[0].image');
    expect(k('get', 'pod', 'bad', '-n', 'default').err).toContain('NotFound');
  });

  // 1.20 sends the kind EphemeralContainers (Kubernetes 1.16-1.21), 1.32 a Pod; no node runs the pod:
  // what is checked is the API, the pod's spec.ephemeralContainers (kubectl-debug-attach.test.ts runs them)
  it('debug adds ephemeral containers to a pod and keeps the ones it has (1.20: and may not change one)', () => {
    const pod = `dbg-${version.replace('.', '-')}`;
    expect(k('run', pod, '--image=busybox', '--restart=Never', '-n', 'default', '--', 'sleep', '3600').code).toBe(0);
    for (const c of ['one', 'two']) {
      const r = k('debug', pod, '--image=busybox', `--container=${c}`, '-n', 'default', '--', 'true');
      expect(r.code, r.err).toBe(0);
    }
    expect(k('get', 'pod', pod, '-n', 'default', '-o', 'jsonpath={.spec.ephemeralContainers[*].name}').out).toBe('one two');
    if (version === '1.20') {
      // its PUT names "one" again, changed
      const changed = k('debug', pod, '--image=busybox:1', '--container=one', '-n', 'default', '--', 'true');
      expect(changed.code).not.toBe(0);
      expect(changed.err).toContain('existing ephemeral containers "one" may not be changed');
    }
    expect(k('delete', 'pod', pod, '-n', 'default', '--wait=false').code).toBe(0);
  });
});
