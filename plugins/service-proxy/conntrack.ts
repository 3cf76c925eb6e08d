// Stale conntrack entries for UDP: a UDP "connection" keeps its NAT decision as long as packets
// flow, so a client keeps sending to an endpoint that is gone. As kube-proxy does, the entries NATed
// to a removed endpoint are deleted (`conntrack -D`, from Debian's `conntrack` package). Without the
// binary this is skipped (logged once): such flows recover when the client stops for the UDP timeout.
import { execFile } from 'node:child_process';
import type { Logger } from '@skiff/kernel/plugins';
import type { UdpFlow } from './proxier.ts';

export class Conntrack {
  private missing = false;

  constructor(private readonly opts: { netns?: string; binary?: string; logger?: Logger }) {}

  /** Delete the UDP entries NATed to endpoints that are gone (per Service address and NodePort). */
  async clearUdp(flows: UdpFlow[]): Promise<void> {
    for (const f of flows) {
      for (const ip of f.serviceIPs) await this.delete(['-p', 'udp', '--orig-dst', ip, '--dst-nat', f.endpointIP]);
      if (f.nodePort) await this.delete(['-p', 'udp', '--dport', String(f.nodePort), '--dst-nat', f.endpointIP]);
    }
  }

  /** `conntrack -D ...`; "0 flow entries" (exit 1) is not an error. */
  private delete(args: string[]): Promise<void> {
    if (this.missing) return Promise.resolve();
    const bin = this.opts.binary ?? 'conntrack';
    const [cmd, argv] = this.opts.netns ? ['ip', ['netns', 'exec', this.opts.netns, bin, '-D', ...args]] : [bin, ['-D', ...args]];
    return new Promise((resolve) => {
      execFile(cmd, argv, { timeout: 10_000 }, (err, _out, stderr) => {
        if (err && ((err as NodeJS.ErrnoException).code === 'ENOENT' || /No such file|not found/.test(stderr) && !/flow entries/.test(stderr))) {
          this.missing = true;
          this.opts.logger?.warn('conntrack is not installed: stale UDP flows to removed endpoints are not cleared (apt-get install conntrack)');
        } else if (err && !/0 flow entries/.test(stderr)) {
          this.opts.logger?.warn('conntrack -D failed', { args: argv.join(' '), error: stderr.trim() || err.message });
        }
        resolve();
      });
    });
  }
}
