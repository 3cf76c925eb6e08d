// End to end: a real Skiff server (one for the file), and the CLI run as a user runs it.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServer, type RunningServer } from '../server.ts';
import { runSkiff, type CliRun } from '../../integration/skiff-process.ts';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let server: RunningServer;
const execFileAsync = promisify(execFile);
let dir: string;

/** `skiff <args>` from the TypeScript sources, against the test server. */
function skiff(args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runSkiff(args, { entry: ['--import', 'tsx', 'cli/main.ts'], cwd: repo, input: o.input, env: { ...process.env, KUBECONFIG: server.kubeconfigPath, ...o.env } });
}

const APP = `apiVersion: v1
kind: Namespace
metadata:
  name: e2e
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  namespace: e2e
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: e2e
  labels:
    app: web
spec:
  containers:
  - name: web
    image: nginx:1.27
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-client-e2e-'));
  server = await startServer({ home: join(dir, 'home'), port: 0, logLevel: 'error' });
  await writeFile(join(dir, 'app.yaml'), APP);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('skiff client commands', () => {
  it('apply creates every object of a multi-document file', async () => {
    const r = await skiff(['apply', '-f', join(dir, 'app.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('namespace/e2e created\nconfigmap/cfg created\npod/web created\n');
    expect(r.code).toBe(0);
  });

  it('get prints a kubectl-style table; -A adds NAMESPACE; several types get kind/ prefixes', async () => {
    const r = await skiff(['get', 'po', '-n', 'e2e']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME   READY   STATUS    RESTARTS   AGE$/);
    expect(lines[1]).toMatch(/^web    0\/1     Pending   0          \d+s$/);

    const all = await skiff(['get', 'pods', '-A', '-o', 'wide']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE +IP +NODE/);
    expect(all.stdout).toMatch(/\ne2e +web +0\/1 +Pending/);

    const both = await skiff(['get', 'cm,po', '-n', 'e2e', '-o', 'name']);
    expect(both.stdout).toBe('configmap/cfg\npod/web\n');
  });

  it('get on an empty namespace says so on stderr', async () => {
    const r = await skiff(['get', 'deploy', '-n', 'e2e']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('No resources found in e2e namespace.\n');
    expect(r.code).toBe(0);
  });

  it('a second apply says unchanged, a changed one configured', async () => {
    const again = await skiff(['apply', '-f', join(dir, 'app.yaml')]);
    expect(again.stdout).toBe('namespace/e2e unchanged\nconfigmap/cfg unchanged\npod/web unchanged\n');

    await writeFile(join(dir, 'app2.yaml'), APP.replace('greeting: hello', 'greeting: bonjour'));
    const changed = await skiff(['apply', '-f', join(dir, 'app2.yaml')]);
    expect(changed.stdout).toBe('namespace/e2e unchanged\nconfigmap/cfg configured\npod/web unchanged\n');
    const cm = JSON.parse((await skiff(['get', 'configmap', 'cfg', '-n', 'e2e', '-o', 'json'])).stdout);
    expect(cm.data).toEqual({ greeting: 'bonjour' });
  });

  it('-o yaml round trips: the same object as -o json, and applies back', async () => {
    const y = await skiff(['get', 'pod', 'web', '-n', 'e2e', '-o', 'yaml']);
    const j = await skiff(['get', 'pods/web', '-n', 'e2e', '-o', 'json']);
    const obj = parse(y.stdout);
    expect(obj).toEqual(JSON.parse(j.stdout));
    expect(obj).toMatchObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'e2e', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } });
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"image":"nginx:1.27"');

    const list = parse((await skiff(['get', 'cm', '-n', 'e2e', '-o', 'yaml'])).stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }] });

    const back = await skiff(['apply', '-f', '-'], { input: y.stdout });
    expect(back.stdout).toMatch(/^pod\/web (configured|unchanged)\n$/);
    expect(back.code).toBe(0);
  });

  it('describe shows metadata, containers and events', async () => {
    const r = await skiff(['describe', 'po', 'web', '-n', 'e2e']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Name: +web\nNamespace: +e2e\nLabels: +app=web\n/);
    expect(r.stdout).toMatch(/Containers:\n  web:\n    Image: +nginx:1.27\n/);
    expect(r.stdout).toMatch(/\nEvents:/);
  });

  it('describe node shows, as kubectl does, the pods on it and the resources allocated against its allocatable', async () => {
    const node = `apiVersion: v1
kind: Node
metadata: {name: described, labels: {node-role.kubernetes.io/worker: ""}}
spec: {taints: [{key: dedicated, value: db, effect: NoSchedule}]}
---
apiVersion: v1
kind: Pod
metadata: {name: on-node, namespace: e2e}
spec:
  nodeName: described
  tolerations: [{key: dedicated, operator: Exists}]
  containers: [{name: c, image: busybox, resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: "1", memory: 64Mi}}}]
`;
    expect((await skiff(['apply', '-f', '-'], { input: node })).code).toBe(0);
    // the status a kubelet would write: what the node offers
    const status = { status: { capacity: { cpu: '2', memory: '1Gi', pods: '10' }, allocatable: { cpu: '2', memory: '1Gi', pods: '10' }, addresses: [{ type: 'InternalIP', address: '10.1.2.3' }] } };
    // (not spawnSync: the server runs in this process and must go on answering meanwhile)
    const put = await execFileAsync('kubectl', ['patch', 'node', 'described', '--subresource=status', '--type=merge', '-p', JSON.stringify(status)], { env: { ...process.env, KUBECONFIG: server.kubeconfigPath } });
    expect(put.stdout).toBe('node/described patched\n');
    const r = await skiff(['describe', 'node', 'described']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Name: +described\nRoles: +worker\n/);
    // (the node-lifecycle controller may add its unreachable taints: no kubelet renews this node)
    expect(r.stdout).toMatch(/\nTaints: +dedicated=db:NoSchedule\n( {20}node\.kubernetes\.io\/\S+\n)*Unschedulable: +false\n/);
    expect(r.stdout).toContain('  InternalIP:  10.1.2.3');
    expect(r.stdout).toContain('Non-terminated Pods:          (1 in total)');
    expect(r.stdout).toMatch(/ e2e +on-node +250m \(12%\) +1 \(50%\) +64Mi \(6%\) +64Mi \(6%\) /);
    expect(r.stdout).toMatch(/Allocated resources:\n.*\n +Resource +Requests +Limits\n.*\n +cpu +250m \(12%\) +1 \(50%\)\n +memory +64Mi \(6%\) +64Mi \(6%\)\n/);
    // no kubelet confirms this pod's end: gone at once, or the namespace's deletion later waits on it
    await skiff(['delete', 'pod', 'on-node', '-n', 'e2e', '--grace-period=0', '--wait=false']);
    await skiff(['delete', 'node', 'described', '--wait=false']);
  });

  it('an invalid manifest prints the server’s 422 message and exits 1; the others still apply', async () => {
    const bad = `apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: e2e
spec:
  containers: []
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: also
  namespace: e2e
`;
    await writeFile(join(dir, 'bad.yaml'), bad);
    const r = await skiff(['apply', '-f', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error from server \(Invalid\): error when creating ".*bad\.yaml": Pod "bad" is invalid: spec\.containers/);
    expect(r.stdout).toBe('configmap/also created\n');

    const dup = await skiff(['create', '-f', join(dir, 'bad.yaml')]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/Error from server \(AlreadyExists\): error when creating .*configmaps "also" already exists/);
  });

  it('get -w prints the table, then rows as objects change', async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'get', 'cm', '-n', 'e2e', '-w'], { cwd: repo, env: { ...process.env, KUBECONFIG: server.kubeconfigPath } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    const until = async (pred: () => boolean) => {
      for (let i = 0; i < 200 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(pred()).toBe(true);
    };
    try {
      await until(() => out.split('\n').length >= 4); // header + also + cfg
      const applied = await skiff(['apply', '-f', '-', '-n', 'e2e'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: watched}\ndata: {a: b, c: d}\n' });
      expect(applied.stdout).toBe('configmap/watched created\n');
      await until(() => /\nwatched +2 +\d+s\n/.test(out));
      expect(out.match(/^NAME/gm)).toHaveLength(1);
    } finally {
      p.kill('SIGINT');
    }
    const code = await new Promise((r) => p.on('close', r));
    expect(code === 0 || code === 130 || code === null).toBe(true);
  });

  it('delete removes objects, by name (and waits) and from files', async () => {
    const one = await skiff(['delete', 'cm', 'watched', 'also', '-n', 'e2e']);
    expect(one.stdout).toBe('configmap "watched" deleted\nconfigmap "also" deleted\n');
    expect(one.code).toBe(0);

    const files = await skiff(['delete', '-f', join(dir, 'app.yaml')]);
    expect(files.stderr).toBe('');
    expect(files.stdout).toBe('pod "web" deleted\nconfigmap "cfg" deleted\nnamespace "e2e" deleted\n');
    expect(files.code).toBe(0);

    const gone = await skiff(['get', 'ns', 'e2e']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error from server (NotFound): namespaces "e2e" not found\n');

    const missing = await skiff(['delete', 'pod', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
  });

  it('api-resources lists what the server serves; unknown types fail like kubectl', async () => {
    const r = await skiff(['api-resources']);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/);
    expect(r.stdout).toMatch(/\npods +po +v1 +true +Pod\n/);
    expect(r.stdout).toMatch(/\ndeployments +deploy +apps\/v1 +true +Deployment\n/);
    const bad = await skiff(['get', 'widgets']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`error: the server doesn't have a resource type "widgets"\n`);
  });
});
