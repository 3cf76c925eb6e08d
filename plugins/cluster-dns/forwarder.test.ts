import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { readUpstreams, responseTtl, upstreamsFromResolvConf } from './forwarder.ts';

describe('forwarder', () => {
  it('takes the nameservers of resolv.conf, less this server and a missing file', () => {
    const text = '# x\nsearch example.com\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 127.0.0.1\noptions ndots:2\n';
    expect(upstreamsFromResolvConf(text)).toEqual([
      { host: '10.255.255.53', port: 53 },
      { host: 'fe80::1', port: 53 },
      { host: '127.0.0.1', port: 53 },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'skiff-dns-'));
    try {
      writeFileSync(join(dir, 'resolv.conf'), text);
      expect(readUpstreams(join(dir, 'resolv.conf'), [{ host: '127.0.0.1', port: 53 }]).map((u) => u.host)).toEqual(['10.255.255.53', 'fe80::1']);
      // listening on the wildcard: every local address is this server
      expect(readUpstreams(join(dir, 'resolv.conf'), [{ host: '0.0.0.0', port: 53 }]).map((u) => u.host)).toEqual(['10.255.255.53', 'fe80::1']);
      expect(readUpstreams(join(dir, 'resolv.conf'), [{ host: '127.0.0.1', port: 1053 }])).toHaveLength(3);
      expect(readUpstreams(join(dir, 'missing'), [])).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a response is cached for its smallest TTL (the SOA minimum when negative); garbage for 0', () => {
    const pos = dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a.example', type: 'A' }], answers: [{ name: 'a.example', type: 'A', ttl: 300, data: '192.0.2.1' }, { name: 'a.example', type: 'A', ttl: 20, data: '192.0.2.2' }] });
    expect(responseTtl(pos)).toBe(20);
    const neg = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ name: 'b.example', type: 'A' }],
      authorities: [{ name: 'example', type: 'SOA', ttl: 3600, data: { mname: 'ns.example', rname: 'h.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }],
    });
    expect(responseTtl(neg)).toBe(60);
    expect(responseTtl(Buffer.from([1, 2, 3]))).toBe(0);
  });
});
