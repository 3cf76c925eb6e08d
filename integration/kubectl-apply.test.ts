// kubectl apply against a real `skiff server`, with kubectl 1.32 and Debian's kubectl 1.20: three
// client-side applies of a changing Deployment (a container added, an env var removed, a port
// renamed, a label removed, ...) give the object Kubernetes gives, fields set meanwhile by other
// managers (kubectl label, kubectl set env) stay; server-side apply twice with a changing manifest;
// conflicts between field managers (409 in kube's words) and --force-conflicts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const kubectls = [
  ['1.32', process.env.SKIFF_KUBECTL_132],
  ['1.20', process.env.SKIFF_KUBECTL_120],
] as const;

interface Container {
  name: string;
  image: string;
  env?: { name: string; value: string }[];
  ports?: { name?: string; containerPort: number }[];
}

/** A Deployment manifest as a user writes it (YAML is JSON). */
function deployment(ns: string, name: string, labels: Record<string, string>, replicas: number, containers: Container[]): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  });
}

let home: string;
let skiff: SkiffProcess;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-kubectl-apply-'));
  skiff = await startSkiff(home);
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

describe.each(kubectls)('kubectl %s apply', (version, bin) => {
  const ns = `apply-${version.replace('.', '-')}`;
  const k = (...args: string[]) => {
    const r = spawnSync(bin!, ['--kubeconfig', skiff.kubeconfig, '--cache-dir', join(home, `cache-${version}`), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ok = (...args: string[]) => {
    const r = k(...args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  };
  // kubectl 1.21+ leaves managedFields out of its output unless asked
  const showManaged = version === '1.20' ? [] : ['--show-managed-fields'];
  const get = (name: string) => JSON.parse(ok('get', 'deployment', name, '-n', ns, '-o', 'json', ...showManaged));
  const applyFile = (body: string, ...flags: string[]) => {
    const file = join(home, `m-${version}-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, body);
    return k('apply', '-f', file, ...flags);
  };
  const containers = (d: any) => d.spec.template.spec.containers.map((c: any) => ({ name: c.name, image: c.image, env: c.env, ports: c.ports }));

  beforeAll(() => {
    if (bin && existsSync(bin)) ok('create', 'namespace', ns);
  });

  it('is installed', () => {
    expect(bin && existsSync(bin)).toBeTruthy();
  });

  it('three client-side applies of a changing manifest give what Kubernetes gives, keeping what others set', () => {
    // 1: create
    const v1 = deployment(ns, 'web', { app: 'web', tier: 'frontend' }, 2, [
      { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ name: 'http', containerPort: 80 }] },
    ]);
    const r1 = applyFile(v1);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toContain('deployment.apps/web created');
    // others change it meanwhile: a label and an env var, not in the applied manifest
    ok('label', 'deployment', 'web', '-n', ns, 'owner=ops');
    ok('set', 'env', 'deployment/web', '-n', ns, 'C=3');
    expect(containers(get('web'))[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }]);

    // 2: a container added, env var B removed, the port renamed, label tier removed
    const v2 = deployment(ns, 'web', { app: 'web' }, 2, [
      { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }], ports: [{ name: 'web', containerPort: 80 }] },
      { name: 'sidecar', image: 'envoy:1.30', ports: [{ name: 'admin', containerPort: 9901 }] },
    ]);
    const r2 = applyFile(v2);
    expect(r2.code, r2.err).toBe(0);
    expect(r2.out).toContain('deployment.apps/web configured');
    const d2 = get('web');
    expect(d2.metadata.labels).toEqual({ app: 'web', owner: 'ops' });
    expect(containers(d2)).toEqual([
      { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'C', value: '3' }], ports: [{ name: 'web', containerPort: 80, protocol: 'TCP' }] },
      { name: 'sidecar', image: 'envoy:1.30', env: undefined, ports: [{ name: 'admin', containerPort: 9901, protocol: 'TCP' }] },
    ]);

    // 3: the sidecar goes, the image and an env value change, replicas and a new label
    const v3 = deployment(ns, 'web', { app: 'web', release: 'stable' }, 3, [
      { name: 'web', image: 'nginx:1.26', env: [{ name: 'A', value: '10' }], ports: [{ name: 'web', containerPort: 80 }] },
    ]);
    const r3 = applyFile(v3);
    expect(r3.code, r3.err).toBe(0);
    const d3 = get('web');
    expect(d3.metadata.labels).toEqual({ app: 'web', owner: 'ops', release: 'stable' });
    expect(d3.spec.replicas).toBe(3);
    expect(containers(d3)).toEqual([
      { name: 'web', image: 'nginx:1.26', env: [{ name: 'A', value: '10' }, { name: 'C', value: '3' }], ports: [{ name: 'web', containerPort: 80, protocol: 'TCP' }] },
    ]);
    // the last-applied annotation is the third manifest; the appliers are recorded as field managers
    expect(JSON.parse(d3.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).metadata.labels).toEqual({ app: 'web', release: 'stable' });
    const managers = d3.metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('kubectl-client-side-apply/Update');
    // applying the same manifest again changes nothing (kubectl still sends a patch: the live env
    // list has C, so it sends the order of the manifest's; the server writes nothing)
    // (the deployment controller writes status meanwhile: wait until it is done, then compare all
    // but status — any write by the apply would change the resourceVersion and its manager's entry)
    let before = get('web');
    for (let i = 0; i < 30; i++) {
      spawnSync('sleep', ['0.5']);
      const again = get('web');
      if (again.metadata.resourceVersion === before.metadata.resourceVersion) break;
      before = again;
    }
    expect(applyFile(v3).code).toBe(0);
    const after = get('web');
    const applier = (d: any) => d.metadata.managedFields.find((m: any) => m.manager === 'kubectl-client-side-apply');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    expect(applier(after)).toEqual(applier(before));
    if (after.metadata.resourceVersion !== before.metadata.resourceVersion) expect(after.status).not.toEqual(before.status); // only the controller wrote
  });

  it('server-side apply twice with a changing manifest: removed fields go, fields of other managers stay', () => {
    const v1 = deployment(ns, 'ssa', { app: 'ssa', tier: 'backend' }, 1, [
      { name: 'a', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }], ports: [{ name: 'http', containerPort: 8080 }] },
    ]);
    const r1 = applyFile(v1, '--server-side');
    expect(r1.code, r1.err).toBe(0);
    expect(r1.out).toContain('deployment.apps/ssa serverside-applied');
    ok('label', 'deployment', 'ssa', '-n', ns, 'owner=ops');
    const d1 = get('ssa');
    const applier = d1.metadata.managedFields.find((m: any) => m.manager === 'kubectl' && m.operation === 'Apply');
    expect(applier.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"a"}']['f:env']).toEqual({
      'k:{"name":"X"}': { '.': {}, 'f:name': {}, 'f:value': {} },
      'k:{"name":"Y"}': { '.': {}, 'f:name': {}, 'f:value': {} },
    });

    const v2 = deployment(ns, 'ssa', { app: 'ssa' }, 1, [
      { name: 'a', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }], ports: [{ name: 'web', containerPort: 8080 }] },
      { name: 'b', image: 'redis:7' },
    ]);
    const r2 = applyFile(v2, '--server-side');
    expect(r2.code, r2.err).toBe(0);
    const d2 = get('ssa');
    expect(d2.metadata.labels).toEqual({ app: 'ssa', owner: 'ops' });
    expect(containers(d2)).toEqual([
      { name: 'a', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }], ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] },
      { name: 'b', image: 'redis:7', env: undefined, ports: undefined },
    ]);
  });

  it('a conflict between field managers is a 409 in kube words; --force-conflicts takes the field', () => {
    // another manager changes replicas
    ok('patch', 'deployment', 'ssa', '-n', ns, '--type', 'merge', '-p', '{"spec":{"replicas":5}}');
    const patcher = get('ssa').metadata.managedFields.find((m: any) => m.operation === 'Update' && m.fieldsV1['f:spec']?.['f:replicas']);
    expect(patcher).toBeDefined();
    const v3 = deployment(ns, 'ssa', { app: 'ssa' }, 3, [
      { name: 'a', image: 'busybox:1.36', env: [{ name: 'X', value: '1' }], ports: [{ name: 'web', containerPort: 8080 }] },
      { name: 'b', image: 'redis:7' },
    ]);
    const refused = applyFile(v3, '--server-side');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(`Apply failed with 1 conflict: conflict with "${patcher.manager}" using apps/v1: .spec.replicas`);
    expect(get('ssa').spec.replicas).toBe(5);

    const forced = applyFile(v3, '--server-side', '--force-conflicts');
    expect(forced.code, forced.err).toBe(0);
    const d = get('ssa');
    expect(d.spec.replicas).toBe(3);
    const owners = d.metadata.managedFields.filter((m: any) => m.fieldsV1['f:spec']?.['f:replicas']).map((m: any) => m.manager);
    expect(owners).toEqual(['kubectl']);

    // two appliers: the second one's change of the first one's field is refused, naming both fields
    const other = deployment(ns, 'ssa', { app: 'ssa' }, 4, [{ name: 'a', image: 'busybox:1.37' }]);
    const clash = applyFile(other, '--server-side', '--field-manager', 'ci-bot');
    expect(clash.code).not.toBe(0);
    expect(clash.err).toContain('Apply failed with 2 conflicts: conflicts with "kubectl":');
    expect(clash.err).toContain('- .spec.replicas');
    expect(clash.err).toContain('- .spec.template.spec.containers[name="a"].image');
  });
});
