// The CRD Must-show with kubectl 1.32 and Debian's kubectl 1.20 against a real `skiff server`: a CRD
// with a schema, printer columns, a CEL rule and the status and scale subresources is applied and
// becomes Established; `kubectl get` prints its columns (and -o wide's), short names and `get all`
// find it; an invalid object gets a 422 with its causes, a CEL rule rejects what it should, unknown
// fields are pruned (kubectl's own strict validation turned off, as kube would refuse them too);
// `kubectl scale` works through /scale; deleting the CRD deletes its objects. Then `kubectl get` of
// built-in kinds prints kube's columns.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const kubectls = [
  ['1.32', process.env.SKIFF_KUBECTL_132 ?? '/usr/bin/kubectl'],
  ['1.20', process.env.SKIFF_KUBECTL_120],
] as const;

const crdYaml = (plural: string, kind: string, short: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: ${plural}
    singular: ${kind.toLowerCase()}
    kind: ${kind}
    shortNames: [${short}]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - {name: Spec, type: string, jsonPath: .spec.cronSpec}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Image, type: string, priority: 1, jsonPath: .spec.image}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: self.replicas <= self.maxReplicas
              messageExpression: "'replicas ' + string(self.replicas) + ' is more than maxReplicas ' + string(self.maxReplicas)"
            properties:
              cronSpec: {type: string, description: "When the job runs, in cron syntax.", pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'}
              image: {type: string}
              replicas: {type: integer, minimum: 0, default: 1}
              maxReplicas: {type: integer, default: 5}
          status:
            type: object
            properties:
              replicas: {type: integer}
`;

const obj = (kind: string, name: string, spec: string) => `apiVersion: stable.example.com/v1
kind: ${kind}
metadata:
  name: ${name}
spec:
${spec}`;

let home: string;
let skiff: SkiffProcess;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-crd-'));
  skiff = await startSkiff(home);
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

const header = (out: string) => out.split('\n')[0]!.trim().split(/\s{2,}/);
const rowOf = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(name + ' '))?.trim().split(/\s{2,}/);

describe.each(kubectls)('kubectl %s', (version, bin) => {
  const v = version.replace('.', '');
  // one CRD per kubectl, so the two runs do not share objects
  const plural = `crontabs${v}`;
  const kind = `CronTab${v}`;
  const short = `ct${v}`;
  const run = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${v}`), '-n', 'default', ...args], { encoding: 'utf8', timeout: 60_000 }, (e, out, err) =>
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
      );
    });
  const file = (name: string, text: string) => {
    const f = join(home, `${name}-${v}.yaml`);
    writeFileSync(f, text);
    return f;
  };

  it('is installed', () => {
    expect(bin && existsSync(bin)).toBeTruthy();
  });

  it('applies the CRD, which becomes Established', async () => {
    const r = await run('apply', '-f', file('crd', crdYaml(plural, kind, short)));
    expect(r.err).toBe('');
    expect(r.out).toContain(`customresourcedefinition.apiextensions.k8s.io/${plural}.stable.example.com created`);
    const w = await run('wait', '--for=condition=Established', `crd/${plural}.stable.example.com`, '--timeout=30s');
    expect(w.err).toBe('');
    expect(w.out).toContain('condition met');
    const crds = await run('get', 'crd', `${plural}.stable.example.com`);
    expect(header(crds.out)).toEqual(['NAME', 'CREATED AT']);
  });

  it('creates objects (defaults filled in) and prints the printer columns; -o wide adds priority 1', async () => {
    const a = await run('apply', '-f', file('a', obj(kind, 'nightly', '  cronSpec: "0 3 * * *"\n  image: busybox\n')));
    expect(a.err).toBe('');
    expect(a.out).toContain(`${kind.toLowerCase()}.stable.example.com/nightly created`);
    const g = await run('get', plural);
    expect(g.code).toBe(0);
    expect(header(g.out)).toEqual(['NAME', 'SPEC', 'REPLICAS', 'AGE']);
    expect(rowOf(g.out, 'nightly')!.slice(0, 3)).toEqual(['nightly', '0 3 * * *', '1']);
    const wide = await run('get', short, '-o', 'wide');
    expect(header(wide.out)).toEqual(['NAME', 'SPEC', 'REPLICAS', 'IMAGE', 'AGE']);
    expect(rowOf(wide.out, 'nightly')!.slice(0, 4)).toEqual(['nightly', '0 3 * * *', '1', 'busybox']);
    const all = await run('get', 'all');
    expect(all.out).toContain(`${kind.toLowerCase()}.stable.example.com/nightly`);
  });

  it('explains a field of the CRD from its schema', async () => {
    const r = await run('explain', `${kind.toLowerCase()}.spec.cronSpec`);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`KIND:\\s+${kind}`));
    expect(r.out).toContain('When the job runs, in cron syntax.');
  });

  it('an invalid object is refused with the causes', async () => {
    const r = await run('apply', '-f', file('bad', obj(kind, 'bad', '  cronSpec: sometimes\n  replicas: -2\n')));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`The ${kind} "bad" is invalid`);
    expect(r.err).toContain('spec.cronSpec: Invalid value: "sometimes": spec.cronSpec in body should match');
    expect(r.err).toContain('spec.replicas: Invalid value: -2: spec.replicas in body should be greater than or equal to 0');
    expect((await run('get', plural, 'bad')).code).not.toBe(0);
  });

  it('a CEL rule rejects what it should and lets the rest through', async () => {
    const r = await run('apply', '-f', file('cel', obj(kind, 'cel', '  replicas: 7\n  maxReplicas: 3\n')));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`The ${kind} "cel" is invalid: spec: Invalid value: "object": replicas 7 is more than maxReplicas 3`);
    const ok = await run('apply', '-f', file('cel-ok', obj(kind, 'cel', '  replicas: 3\n  maxReplicas: 3\n')));
    expect(ok.err).toBe('');
  });

  it('unknown fields are pruned', async () => {
    const r = await run('apply', '--validate=false', '-f', file('prune', obj(kind, 'pruned', '  image: nginx\n  colour: blue\n') + 'extra: 1\n'));
    expect(r.code).toBe(0);
    // 1.32 asks for fieldValidation=Ignore; 1.20 sends none, and the server's default (Warn) says what it dropped
    if (version === '1.32') expect(r.err).toBe('');
    else expect(r.err).toContain('Warning: unknown field "spec.colour"');
    const got = JSON.parse((await run('get', plural, 'pruned', '-o', 'json')).out);
    expect(got.spec).toEqual({ image: 'nginx', replicas: 1, maxReplicas: 5 });
    expect(got.extra).toBeUndefined();
  });

  it('kubectl scale goes through the scale subresource (and CEL still holds)', async () => {
    const s = await run('scale', plural, 'nightly', '--replicas=4');
    expect(s.err).toBe('');
    expect((await run('get', plural, 'nightly', '-o', 'jsonpath={.spec.replicas}')).out).toBe('4');
    const over = await run('scale', plural, 'nightly', '--replicas=9');
    expect(over.code).not.toBe(0);
    expect(over.err).toContain('replicas 9 is more than maxReplicas 5');
  });

  it('deleting the CRD deletes its objects', async () => {
    const d = await run('delete', 'crd', `${plural}.stable.example.com`, '--timeout=60s');
    expect(d.code).toBe(0);
    expect(d.out).toContain('deleted');
    const g = await run('get', 'crd', `${plural}.stable.example.com`);
    expect(g.err).toContain('NotFound');
    // applied again: none of the old objects come back
    await run('apply', '-f', file('crd', crdYaml(plural, kind, short)));
    await run('wait', '--for=condition=Established', `crd/${plural}.stable.example.com`, '--timeout=30s');
    const list = await run('get', plural, '-o', 'name');
    expect(list.code).toBe(0);
    expect(list.out.trim()).toBe('');
  });

  it('prints kube\'s columns for the workload kinds', async () => {
    const heads: Record<string, string[]> = {
      deployments: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      statefulsets: ['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES'],
      daemonsets: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      jobs: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      cronjobs: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR'],
      services: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR'],
    };
    const pod = { containers: [{ name: 'c', image: 'registry.invalid/web:1' }] };
    const tmpl = { metadata: { labels: { app: `cols${v}` } }, spec: pod };
    const sel = { matchLabels: { app: `cols${v}` } };
    const manifests = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `cols${v}` }, spec: { selector: sel, template: tmpl } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: `cols${v}` }, spec: { selector: sel, serviceName: 'x', template: tmpl } },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: `cols${v}` }, spec: { selector: sel, template: tmpl } },
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `cols${v}` }, spec: { template: { spec: { ...pod, restartPolicy: 'Never' } } } },
      { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: `cols${v}` }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...pod, restartPolicy: 'Never' } } } } } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: `cols${v}` }, spec: { selector: { app: `cols${v}` }, ports: [{ port: 80 }] } },
    ];
    const r = await run('apply', '-f', file('workloads', JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests })));
    expect(r.err).toBe('');
    for (const [res, want] of Object.entries(heads)) {
      const g = await run('get', res, `cols${v}`, '-o', 'wide');
      expect(g.err, res).toBe('');
      // the server's Table decides the columns, for either kubectl
      expect(header(g.out), res).toEqual(want);
    }
  });
});
