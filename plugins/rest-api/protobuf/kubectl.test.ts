// End to end: kubectl 1.32's typed-client commands (create namespace/configmap/secret/serviceaccount/
// deployment/service/job/cronjob, expose) send protobuf bodies; a real Skiff server (startServer)
// decodes them, and `kubectl get -o json` shows what was stored.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../cli/server.ts';

const KUBECTL = process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl';
const NS = 'pb';

let home: string;
let server: RunningServer;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-protobuf-'));
  server = await startServer({ home, port: 0, logLevel: 'error' });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** kubectl, asynchronously: the server runs in this process and must keep serving meanwhile. */
function k(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const argv = ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(home, 'kubectl-cache'), ...args];
  return new Promise((resolve) => {
    execFile(KUBECTL, argv, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** Run kubectl and expect success (with its stderr in the failure message). */
async function ok(...args: string[]): Promise<string> {
  const r = await k(...args);
  expect(r.err, `kubectl ${args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
  return r.out;
}

const getJson = async (...args: string[]) => JSON.parse(await ok('get', ...args, '-o', 'json'));

describe('kubectl 1.32 typed clients (protobuf bodies)', { timeout: 120_000 }, () => {
  it('is installed and sends protobuf', async () => {
    expect(existsSync(KUBECTL)).toBe(true);
    const r = await k('create', 'namespace', NS, '-v=8');
    expect(r.code).toBe(0);
    expect(r.err).toContain('Content-Type: application/vnd.kubernetes.protobuf');
    expect(r.out).toBe(`namespace/${NS} created\n`);
    expect(await getJson('namespace', NS)).toMatchObject({ kind: 'Namespace', metadata: { name: NS }, status: { phase: 'Active' } });
  });

  it('create configmap / secret generic / serviceaccount', async () => {
    expect(await ok('create', 'configmap', 'cfg', '-n', NS, '--from-literal=greeting=hello', '--from-literal=n=1')).toBe('configmap/cfg created\n');
    expect(await getJson('configmap', 'cfg', '-n', NS)).toMatchObject({ metadata: { name: 'cfg', namespace: NS }, data: { greeting: 'hello', n: '1' } });

    expect(await ok('create', 'secret', 'generic', 'sec', '-n', NS, '--from-literal=password=s3cr3t')).toBe('secret/sec created\n');
    const sec = await getJson('secret', 'sec', '-n', NS);
    expect(sec).toMatchObject({ type: 'Opaque', data: { password: Buffer.from('s3cr3t').toString('base64') } });

    expect(await ok('create', 'serviceaccount', 'robot', '-n', NS)).toBe('serviceaccount/robot created\n');
    expect((await getJson('serviceaccount', 'robot', '-n', NS)).metadata.name).toBe('robot');
  });

  it('create deployment --image=busybox (replicas 0 kept), create service clusterip, expose', async () => {
    expect(await ok('create', 'deployment', 'web', '-n', NS, '--image=busybox', '--replicas=0', '--port=8080', '--', 'sleep', '3600')).toBe('deployment.apps/web created\n');
    const d = await getJson('deployment', 'web', '-n', NS);
    expect(d.metadata.labels).toEqual({ app: 'web' });
    expect(d.spec).toMatchObject({ replicas: 0, selector: { matchLabels: { app: 'web' } }, strategy: { type: 'RollingUpdate' } });
    expect(d.spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(d.spec.template.spec.containers).toEqual([
      expect.objectContaining({ name: 'busybox', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {} }),
    ]);

    expect(await ok('create', 'service', 'clusterip', 'web', '-n', NS, '--tcp=80:8080')).toBe('service/web created\n');
    const s = await getJson('service', 'web', '-n', NS);
    expect(s.spec).toMatchObject({ type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }] });

    expect(await ok('expose', 'deployment', 'web', '-n', NS, '--name=web-alt', '--port=81', '--target-port=http')).toBe('service/web-alt exposed\n');
    expect((await getJson('service', 'web-alt', '-n', NS)).spec).toMatchObject({ selector: { app: 'web' }, ports: [{ port: 81, targetPort: 'http' }] });
  });

  it('create job / cronjob, and job --from=cronjob (the cron job template read back, sent as protobuf)', async () => {
    expect(await ok('create', 'job', 'once', '-n', NS, '--image=busybox', '--', 'echo', 'hi')).toBe('job.batch/once created\n');
    const j = await getJson('job', 'once', '-n', NS);
    expect(j.spec.template.spec).toMatchObject({ restartPolicy: 'Never', containers: [expect.objectContaining({ name: 'once', image: 'busybox', command: ['echo', 'hi'] })] });

    expect(await ok('create', 'cronjob', 'tick', '-n', NS, '--image=busybox', '--schedule=*/5 * * * *', '--', 'date')).toBe('cronjob.batch/tick created\n');
    const cj = await getJson('cronjob', 'tick', '-n', NS);
    expect(cj.spec).toMatchObject({ schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure' } } } } });

    expect(await ok('create', 'job', 'manual', '-n', NS, '--from=cronjob/tick')).toBe('job.batch/manual created\n');
    const m = await getJson('job', 'manual', '-n', NS);
    expect(m.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(m.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'CronJob', name: 'tick', uid: cj.metadata.uid, controller: true })]);
    expect(m.spec.template.spec.containers).toEqual(cj.spec.jobTemplate.spec.template.spec.containers);
  });

  it('run p --image=busybox', async () => {
    expect(await ok('run', 'p', '-n', NS, '--image=busybox', '--labels=app=p', '--env=A=B', '--', 'sleep', '10')).toBe('pod/p created\n');
    const p = await getJson('pod', 'p', '-n', NS);
    expect(p.metadata.labels).toEqual({ app: 'p' });
    expect(p.spec.containers).toEqual([expect.objectContaining({ name: 'p', image: 'busybox', args: ['sleep', '10'], env: [{ name: 'A', value: 'B' }] })]);
    expect(p.status.phase).toBe('Pending');
  });

  it('create poddisruptionbudget / priorityclass / ingress', async () => {
    expect(await ok('create', 'poddisruptionbudget', 'pdb', '-n', NS, '--selector=app=p', '--min-available=50%')).toBe('poddisruptionbudget.policy/pdb created\n');
    expect((await getJson('pdb', 'pdb', '-n', NS)).spec).toEqual({ minAvailable: '50%', selector: { matchLabels: { app: 'p' } } });
    expect(await ok('create', 'pdb', 'pdb2', '-n', NS, '--selector=app=p', '--max-unavailable=1')).toBe('poddisruptionbudget.policy/pdb2 created\n');
    expect((await getJson('pdb', 'pdb2', '-n', NS)).spec.maxUnavailable).toBe(1);
    expect(await ok('create', 'priorityclass', 'pc-high', '--value=1000', '--description=important', '--preemption-policy=Never')).toBe('priorityclass.scheduling.k8s.io/pc-high created\n');
    expect(await getJson('priorityclass', 'pc-high')).toMatchObject({ value: 1000, description: 'important', preemptionPolicy: 'Never' });
    expect(await ok('create', 'ingress', 'ing', '-n', NS, '--class=skiff', '--rule=a.example/api*=api:8080', '--rule=b.example/=web:http,tls=cert', '--default-backend=web:80')).toBe('ingress.networking.k8s.io/ing created\n');
    expect((await getJson('ingress', 'ing', '-n', NS)).spec).toEqual({
      ingressClassName: 'skiff',
      defaultBackend: { service: { name: 'web', port: { number: 80 } } },
      rules: [
        { host: 'a.example', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { number: 8080 } } } }] } },
        { host: 'b.example', http: { paths: [{ path: '/', pathType: 'Exact', backend: { service: { name: 'web', port: { name: 'http' } } } }] } },
      ],
      tls: [{ hosts: ['b.example'], secretName: 'cert' }],
    });
  });

  it('a kind the server does not serve: 404, before its protobuf body is read', async () => {
    const r = await k('create', 'quota', 'q', '-n', NS, '--hard=pods=2');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('the server could not find the requested resource');
    expect(r.err).not.toContain('protobuf encoding is not supported');
    const role = await k('create', 'role', 'r', '-n', NS, '--verb=get', '--resource=pods');
    expect(role.err).toMatch(/NotFound|could not find the requested resource/);
    expect(role.err).not.toContain('protobuf encoding is not supported');
  });
});
