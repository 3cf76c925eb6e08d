// The node-local DNS address, as NodeLocal DNSCache holds it: an address (the cluster DNS
// ClusterIP, 10.96.0.10 by default) on a dummy interface of the node's own, so a pod's query to it
// is delivered to this node's server by plain routing — no proxy rule, no hop to another node.
// Kernels without the dummy driver (these VMs: no modules) get the address on `lo`, which routes
// the same way.
import { execFile } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DNS_INTERFACE = 'skiff-dns';

/**
 * Puts `ip`/32 on the dummy interface `iface` (created when missing, brought up), or on `lo` when
 * the kernel has no dummy driver. Idempotent. Returns the interface that holds it.
 */
export async function ensureLocalAddress(ip: string, iface = DNS_INTERFACE, netns?: string): Promise<string> {
  if (!isIPv4(ip)) throw new Error(`not an IPv4 address: "${ip}"`);
  const ns = netns ? ['-n', netns] : [];
  let dev = iface;
  await run('ip', [...ns, 'link', 'add', iface, 'type', 'dummy']).catch((e: { stderr?: string }) => {
    const why = String(e.stderr ?? e);
    if (/unknown device type|not supported/i.test(why)) dev = 'lo';
    else if (!/exists/i.test(why)) throw new Error(`ip link add ${iface}: ${why.trim()}`);
  });
  await run('ip', [...ns, 'link', 'set', dev, 'up']);
  await run('ip', [...ns, 'addr', 'replace', `${ip}/32`, 'dev', dev]);
  return dev;
}
