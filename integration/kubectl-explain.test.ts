// kubectl 1.32 (OpenAPI v3) and Debian's kubectl 1.20 (OpenAPI v2 as protobuf) against a real
// `skiff server`: `kubectl explain` of built-in fields with Skiff's descriptions, an unknown field in
// `kubectl apply` refused as Kubernetes refuses it (1.32: by the server, fieldValidation=Strict; 1.20:
// by kubectl's own validation against the published schema), `--validate=warn`; and `kubectl explain`
// of a CRD's field from its schema (an in-process API server with the CRD's kind registered).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { kindsFromCRD } from '../kernel/schema/builtin/crd-kinds.ts';
import { createApiServer } from '../plugins/rest-api/server.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const kubectls = [
  ['1.32', process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl'],
  ['1.20', process.env.SKIFF_KUBECTL_120],
] as const;

const deployment = (name: string, extra = '', containerExtra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: registry.invalid/web:1
${containerExtra}${extra}`;

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'crontabs.stable.example.com' },
  spec: {
    group: 'stable.example.com',
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                description: 'What the cron tab runs, and when.',
                properties: {
                  cronSpec: { type: 'string', description: 'When to run, in cron syntax.' },
                  image: { type: 'string', description: 'The image to run.' },
                },
              },
            },
          },
        },
      },
    ],
  },
};

let home: string;
let skiff: SkiffProcess;
let t: TestKernel;
let app: FastifyInstance;
let crdKubeconfig: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-explain-'));
  skiff = await startSkiff(home);
  // the CRD's kind served by the REST plugin over a kernel (plain HTTP on loopback)
  t = await startTestKernel();
  for (const d of kindsFromCRD(crd as never)) t.kernel.registerKind(d);
  // no tokens: kubectl sends none over plain HTTP (the server is on loopback, for this test only)
  app = await createApiServer({ kernel: t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
  crdKubeconfig = join(home, 'crd-kubeconfig');
  writeFileSync(
    crdKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u', namespace: 'default' } }],
      'current-context': 'x',
    }),
  );
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  await app?.close();
  await t?.stop();
  rmSync(home, { recursive: true, force: true });
});

describe.each(kubectls)('kubectl %s', (version, bin) => {
  const v = version.replace('.', '-');
  // not spawnSync: the CRD's API server answers from this process
  const run = (kubeconfig: string, ...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const cache = join(home, `cache-${v}-${kubeconfig === crdKubeconfig ? 'crd' : 'skiff'}`);
      execFile(bin!, ['--kubeconfig', kubeconfig, '--cache-dir', cache, ...args], { encoding: 'utf8', timeout: 60_000 }, (e, out, err) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
      );
    });
  const k = (...args: string[]) => run(skiff.kubeconfig, ...args);
  const file = (name: string, text: string) => {
    const f = join(home, `${name}-${v}.yaml`);
    writeFileSync(f, text);
    return f;
  };

  it('is installed', async () => {
    expect(bin && existsSync(bin)).toBeTruthy();
  });

  it('explains pod.spec.containers from the published schema', async () => {
    const r = await k('explain', 'pod.spec.containers');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/KIND:\s+Pod/);
    expect(r.out).toMatch(/containers\s+<\[\](Container|Object)>/);
    expect(r.out).toMatch(/The containers of the pod: at least one/);
    expect(r.out).toMatch(/\n\s+image\t<string>\n\s+The image to run/);
    expect(r.out).toMatch(/\n\s+name\t<string>(\s+-required-)?\n\s+Name of the container/);
    expect(r.out).toMatch(/\n\s+volumeMounts\t<\[\](VolumeMount|Object)>/);
  });

  it('explains deployment.spec.strategy', async () => {
    const r = await k('explain', 'deployment.spec.strategy');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/KIND:\s+Deployment/);
    expect(r.out).toMatch(/strategy\s+<(DeploymentStrategy|Object)>/);
    expect(r.out).toMatch(/rollingUpdate\t<(RollingUpdateDeployment|Object)>/);
    expect(r.out).toMatch(/Recreate \(delete all old pods, then create the new ones\) or\s+RollingUpdate/);
    expect((await k('explain', 'deployment.spec.strategy.rollingUpdate.maxSurge')).out).toMatch(/may\s+exist\s+above\s+replicas/);
  });

  it('refuses an unknown field in kubectl apply as Kubernetes does, and applies the manifest without it', async () => {
    const bad = await k('apply', '-f', file('bad', deployment(`bad-${v}`, '  colour: blue\n', '        bogus: 1\n')));
    expect(bad.code).not.toBe(0);
    if (version === '1.32') {
      expect(bad.err).toContain(`Error from server (BadRequest): error when creating`);
      expect(bad.err).toContain('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.colour", unknown field "spec.template.spec.containers[0].bogus"');
    } else {
      expect(bad.err).toContain('unknown field "colour" in io.k8s.api.apps.v1.DeploymentSpec');
      expect(bad.err).toContain('unknown field "bogus" in io.k8s.api.core.v1.Container');
    }
    expect((await k('get', 'deployment', `bad-${v}`)).code).not.toBe(0);

    const good = await k('apply', '-f', file('good', deployment(`good-${v}`)));
    expect(good.err).toBe('');
    expect(good.out).toContain(`deployment.apps/good-${v} created`);
    // a second apply goes through PATCH with the same validation
    const changed = await k('apply', '-f', file('good2', deployment(`good-${v}`).replace('replicas: 1', 'replicas: 2')));
    expect(changed.out).toContain(`deployment.apps/good-${v} configured`);
    expect((await k('get', 'deployment', `good-${v}`, '-o', 'jsonpath={.spec.replicas}')).out).toBe('2');
    const badPatch = await k('apply', '-f', file('good3', deployment(`good-${v}`, '  colour: red\n')));
    expect(badPatch.code).not.toBe(0);
    expect(badPatch.err).toMatch(version === '1.32' ? /strict decoding error: unknown field "spec.colour"/ : /unknown field "colour" in io.k8s.api.apps.v1.DeploymentSpec/);
  });

  it.runIf(version === '1.32')('--validate=warn writes and prints the server\'s warnings', async () => {
    const r = await k('apply', '--validate=warn', '-f', file('warn', deployment(`warn-${v}`, '  colour: blue\n')));
    expect(r.code).toBe(0);
    expect(r.out).toContain(`deployment.apps/warn-${v} created`);
    expect(r.err).toContain('Warning: unknown field "spec.colour"');
  });

  it('explains a field of a CRD from its schema', async () => {
    const r = await run(crdKubeconfig, 'explain', 'crontab.spec');
    expect(r.err).toBe('');
    expect(r.out).toMatch(/KIND:\s+CronTab/);
    expect(r.out).toMatch(/What the cron tab runs, and when\./);
    expect(r.out).toMatch(/cronSpec\t<string>\n\s+When to run, in cron syntax\./);
    expect((await run(crdKubeconfig, 'explain', 'crontab.spec.image')).out).toMatch(/The image to run\./);
  });
});
