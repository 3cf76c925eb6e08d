// The node-local DNS address on a dummy interface (in a network namespace of the test's own), and
// the kube-dns Service every node's plugin makes sure of.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, type Service } from '@skiff/api';
import { errors } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { DNS_SERVICE, ensureDnsService, PROXY_NAME_LABEL } from './dns-service.ts';
import { ensureLocalAddress } from './local-address.ts';

describeNeeding(['root'], 'the node-local DNS address', (missing) => {
  const ns = `skiff-dns-t${process.pid}`;
  beforeAll(() => {
    if (missing()) return;
    execFileSync('ip', ['netns', 'add', ns]);
  });
  afterAll(() => {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('holds the address on an up interface (dummy, else lo), and holding it again changes nothing', async () => {
    const dev = await ensureLocalAddress('10.96.0.10', 'skiff-dns', ns);
    expect(await ensureLocalAddress('10.96.0.10', 'skiff-dns', ns)).toBe(dev);
    expect(['skiff-dns', 'lo']).toContain(dev);
    const show = execFileSync('ip', ['-n', ns, '-o', 'addr', 'show', 'dev', dev], { encoding: 'utf8' });
    expect(show.match(/inet 10\.96\.0\.10\/32/g)).toHaveLength(1);
    expect(execFileSync('ip', ['-n', ns, 'link', 'show', dev], { encoding: 'utf8' })).toMatch(/UP|UNKNOWN/);
    // the address is local: a socket can listen on it
    execFileSync('ip', ['netns', 'exec', ns, 'node', '-e', "require('node:dgram').createSocket('udp4').bind(53, '10.96.0.10', function () { this.close(); })"]);
    await expect(ensureLocalAddress('10.96.0', 'skiff-dns', ns)).rejects.toThrow(/not an IPv4/);
  });
});

describe('the kube-dns Service', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }).catch(() => {});
  });
  afterAll(async () => t?.stop());

  it('is created once at the address, marked for no proxy; a conflicting address is reported', async () => {
    expect(await Promise.all([ensureDnsService(t.kernel, '10.96.0.10'), ensureDnsService(t.kernel, '10.96.0.10')])).toEqual([undefined, undefined]);
    const svc = await t.kernel.get(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name);
    expect(svc.spec).toMatchObject({ clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
    expect(svc.metadata.labels?.[PROXY_NAME_LABEL]).toBe('cluster-dns');
    expect(await ensureDnsService(t.kernel, '10.96.0.11')).toBe('10.96.0.10');
  });

  it("takes another node's Service when admission refuses the create for the address that Service claimed (a 422, not AlreadyExists)", async () => {
    await t.kernel.delete(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name);
    // what service-ipam answers when the IP is claimed: the claim is refused before the store sees the name
    const claimed = new Set<string>();
    const ipam = t.kernel.registerAdmission({
      name: 'test-ip-claims',
      phase: 'validating',
      match: (r) => r.kind.resource === 'services' && r.operation === 'CREATE',
      handle: (r) => {
        const ip = (r.object as Service).spec?.clusterIP ?? '';
        if (claimed.has(ip)) throw errors.invalid({ group: '', resource: 'services', kind: 'Service' }, r.object.metadata?.name ?? '', [{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: `failed to allocate IP ${ip}: provided IP is already allocated` }]);
        claimed.add(ip);
      },
    });
    try {
      expect(await Promise.all([ensureDnsService(t.kernel, '10.96.0.10'), ensureDnsService(t.kernel, '10.96.0.10'), ensureDnsService(t.kernel, '10.96.0.10')])).toEqual([undefined, undefined, undefined]);
      expect((await t.kernel.get(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name)).spec).toMatchObject({ clusterIP: '10.96.0.10' });
      // refused with no Service there: the refusal is the answer
      await t.kernel.delete(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name);
      await expect(ensureDnsService(t.kernel, '10.96.0.10', { attempts: 3, retryMs: 10 })).rejects.toThrow(/provided IP is already allocated/);
    } finally {
      ipam.dispose();
    }
  });
});
