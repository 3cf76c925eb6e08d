// What kubectl 1.32 reads of a Deployment and its ReplicaSets: rollout history (revisions and
// change-causes of the RSs), rollout undo (client-side: the RS's template and annotations patched
// into the Deployment), rollout status (observedGeneration, replicas, updated, available, and
// ProgressDeadlineExceeded).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { DEPLOYMENTS } from '@skiff/api';
import type { ControllerTestEnv } from '../../client/testing.ts';
import { createApiServer } from '../rest-api/server.ts';
import { NS, deployment, eventually, fakeReplicaSetController, getDeployment, replicaSetsOf, setImage, startDeploymentController, type FakeRSController } from './testing.ts';

const KUBECTL = process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl';

let env: ControllerTestEnv;
let rsc: FakeRSController;
let app: FastifyInstance;
let dir: string;

/** kubectl, run asynchronously: the API server and the controller live in this process. */
function kubectl(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(KUBECTL, ['--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(dir, 'cache'), '-n', NS, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

beforeAll(async () => {
  env = await startDeploymentController();
  rsc = fakeReplicaSetController(env.t.kernel, { readyAfterMs: 20 });
  // plain HTTP without authentication (client-go sends no bearer token over plain HTTP)
  app = await createApiServer({ kernel: env.t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'skiff-deploy-kubectl-'));
  writeFileSync(join(dir, 'kubeconfig'), [
    'apiVersion: v1', 'kind: Config', 'current-context: t',
    'clusters: [{name: t, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
    'users: [{name: t, user: {}}]',
    'contexts: [{name: t, context: {cluster: t, user: t}}]',
  ].join('\n'));
});
afterAll(async () => {
  rsc?.stop();
  await app?.close();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const lines = (out: string) => out.split('\n').map((l) => l.trimEnd()).filter(Boolean);
const revisionOf = async (name: string) => (await getDeployment(env.t.kernel, name)).metadata.annotations?.['deployment.kubernetes.io/revision'];

describe.skipIf(!existsSync(KUBECTL))('kubectl 1.32 rollout', () => {
  it('shows the history, undoes to the previous and to a given revision, and reports status', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('kc', { replicas: 2 }, { 'kubernetes.io/change-cause': 'first image' }));
    let st = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=20s');
    expect(st.err).toBe('');
    expect(st.out.trim().split('\n').at(-1)).toBe('deployment "kc" successfully rolled out');

    // the change-cause goes with the change (the deployment's annotations are copied to its newest RS)
    await k.patch(DEPLOYMENTS, NS, 'kc', 'json', [
      { op: 'replace', path: '/metadata/annotations/kubernetes.io~1change-cause', value: 'second image' },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' },
    ]);
    st = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=20s');
    expect(st.out.trim().split('\n').at(-1)).toBe('deployment "kc" successfully rolled out');

    const hist = await kubectl('rollout', 'history', 'deployment/kc');
    expect(hist.err).toBe('');
    expect(lines(hist.out)).toEqual(['deployment.apps/kc', 'REVISION  CHANGE-CAUSE', '1         first image', '2         second image']);
    const one = await kubectl('rollout', 'history', 'deployment/kc', '--revision=1');
    expect(one.out).toContain('deployment.apps/kc with revision #1');
    expect(one.out).toMatch(/Image:\s+nginx:1/);
    expect(one.out).toMatch(/pod-template-hash=/);

    const undo = await kubectl('rollout', 'undo', 'deployment/kc');
    expect(undo.err).toBe('');
    expect(undo.out.trim()).toBe('deployment.apps/kc rolled back');
    await eventually(async () => (await revisionOf('kc')) === '3');
    st = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=20s');
    expect(st.out.trim().split('\n').at(-1)).toBe('deployment "kc" successfully rolled out');
    const d = await getDeployment(k, 'kc');
    expect(d.spec?.template.spec?.containers[0].image).toBe('nginx:1');
    expect(d.metadata.annotations?.['kubernetes.io/change-cause']).toBe('first image');
    const after = await kubectl('rollout', 'history', 'deployment/kc');
    expect(lines(after.out)).toEqual(['deployment.apps/kc', 'REVISION  CHANGE-CAUSE', '2         second image', '3         first image']);
    // the same RS came back: two RSs in all
    expect((await replicaSetsOf(k, 'kc')).length).toBe(2);

    const to = await kubectl('rollout', 'undo', 'deployment/kc', '--to-revision=2');
    expect(to.out.trim()).toBe('deployment.apps/kc rolled back');
    await eventually(async () => (await revisionOf('kc')) === '4');
    const again = await kubectl('rollout', 'undo', 'deployment/kc', '--to-revision=4');
    expect(again.out.trim()).toBe('deployment.apps/kc skipped rollback (current template already matches revision 4)');
  });

  it('reports an exceeded progress deadline', async () => {
    const k = env.t.kernel;
    await k.create(DEPLOYMENTS, deployment('kc-stuck', { replicas: 2, progressDeadlineSeconds: 1 }));
    expect((await kubectl('rollout', 'status', 'deployment/kc-stuck', '--timeout=20s')).code).toBe(0);
    rsc.stuckImages.add('nginx:never');
    await setImage(k, 'kc-stuck', 'nginx:never');
    const st = await kubectl('rollout', 'status', 'deployment/kc-stuck', '--timeout=20s');
    expect(st.code).toBe(1);
    expect(st.err.trim()).toBe('error: deployment "kc-stuck" exceeded its progress deadline');
  });
});
