import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostsFileContent, podHostnameAndDomain, truncateHostname, writeHostsFile } from './etc-hosts.ts';
import { mkPod } from './testing.ts';

const LOCAL = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
fe00::0\tip6-mcastprefix
fe00::1\tip6-allnodes
fe00::2\tip6-allrouters
`;

describe('managed /etc/hosts', () => {
  it('pod network: localhost entries and a line per pod IP', () => {
    expect(hostsFileContent(mkPod(), { podIPs: ['10.0.0.5', 'fd00::5'] })).toBe(`# Kubernetes-managed hosts file.\n${LOCAL}10.0.0.5\tweb\nfd00::5\tweb\n`);
  });

  it('spec.hostname, subdomain FQDN, hostAliases', () => {
    const pod = mkPod({ hostname: 'db-0', subdomain: 'db', hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo.local', 'bar.local'] }, { ip: '::2', hostnames: ['v6'] }] });
    expect(hostsFileContent(pod, { podIPs: ['10.0.0.5'], clusterDomain: 'cluster.local' })).toBe(
      `# Kubernetes-managed hosts file.\n${LOCAL}10.0.0.5\tdb-0.db.ns1.svc.cluster.local\tdb-0\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo.local\tbar.local\n::2\tv6\n`,
    );
    // without a cluster domain there is no FQDN
    expect(hostsFileContent(pod, { podIPs: ['10.0.0.5'] })).toContain('10.0.0.5\tdb-0\n');
  });

  it('host network: the node hosts file and the aliases', () => {
    const pod = mkPod({ hostNetwork: true, hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo'] }] });
    expect(hostsFileContent(pod, { podIPs: [], nodeHostsContent: '127.0.0.1 localhost\n' })).toBe(
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo\n',
    );
  });

  it('hostnames: spec.hostname checked, long names truncated to 63 without a trailing - or .', () => {
    expect(podHostnameAndDomain(mkPod({}, { name: 'p' }))).toEqual(['p', '']);
    expect(() => podHostnameAndDomain(mkPod({ hostname: 'Bad_Name' }))).toThrow(/^pod Hostname "Bad_Name" is not a valid DNS label: /);
    const long = `${'a'.repeat(62)}-b`;
    expect(truncateHostname('x', long)).toBe('a'.repeat(62));
    expect(truncateHostname('x', `${'a'.repeat(61)}.-xyz`)).toBe('a'.repeat(61));
    expect(podHostnameAndDomain(mkPod({}, { name: `${'n'.repeat(70)}` }))[0]).toHaveLength(63);
  });

  it('writes the file 0644', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-hosts-'));
    try {
      const path = join(dir, 'pods/u/etc-hosts');
      await writeHostsFile(path, mkPod(), { podIPs: ['10.1.1.1'] });
      expect(readFileSync(path, 'utf8')).toContain('10.1.1.1\tweb\n');
      expect(statSync(path).mode & 0o777).toBe(0o644);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
