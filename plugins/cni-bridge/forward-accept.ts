// One rule pair in iptables' FORWARD chain for the cluster CIDR, inserted once at agent start (not
// per pod). Why: Docker sets iptables' FORWARD policy to DROP (with iptables-nft that is a base
// chain of `table ip filter`), and in nftables a packet must be accepted by every base chain on
// its hook: an accept in `table inet skiff` cannot override another table's drop. With br_netfilter
// even bridged pod-to-pod traffic passes FORWARD. The firewall CNI plugin answered this with rules
// per pod (several iptables runs each); flannel answers it the same way as here (its FLANNEL-FWD
// chain: `-s <cluster CIDR> -j ACCEPT`, `-d <cluster CIDR> -j ACCEPT`), and Docker's documented
// place for it would be DOCKER-USER, which exists only where Docker runs: the top of FORWARD works
// everywhere. The iptables binary (not nft) writes it, so it lands where the host's iptables
// (nft or legacy backend) keeps its policy. The rules stay when the agent stops: its pods keep
// running.
import { execFile } from 'node:child_process';

export const FORWARD_COMMENT = 'skiff: pod network (cluster CIDR)';

export interface ForwardAcceptOptions {
  clusterCIDR: string;
  /** run iptables inside this named network namespace */
  netns?: string;
  binary?: string;
}

function iptables(o: ForwardAcceptOptions, args: string[]): Promise<{ code: number; stderr: string }> {
  const [cmd, argv] = o.netns ? ['ip', ['netns', 'exec', o.netns, o.binary ?? 'iptables', ...args]] : [o.binary ?? 'iptables', args];
  return new Promise((resolve) => {
    execFile(cmd, argv, { timeout: 20_000 }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

/** The two rules' arguments (after `-C` / `-I FORWARD 1` / `-D`). */
export function forwardRules(clusterCIDR: string): string[][] {
  const tail = ['-m', 'comment', '--comment', FORWARD_COMMENT, '-j', 'ACCEPT'];
  return [
    ['FORWARD', '-s', clusterCIDR, ...tail],
    ['FORWARD', '-d', clusterCIDR, ...tail],
  ];
}

/**
 * Make sure the rules are in FORWARD (checked with `-C`, inserted at the top when missing).
 * Resolves with what was inserted; rejects when iptables is missing or refuses.
 */
export async function ensureForwardAccept(o: ForwardAcceptOptions): Promise<{ inserted: number }> {
  let inserted = 0;
  for (const rule of forwardRules(o.clusterCIDR)) {
    const check = await iptables(o, ['-w', '5', '-C', ...rule]);
    if (check.code === 0) continue;
    const [chain, ...spec] = rule;
    const ins = await iptables(o, ['-w', '5', '-I', chain!, '1', ...spec]);
    if (ins.code !== 0) throw new Error(`iptables -I ${rule.join(' ')}: ${ins.stderr.trim() || `exit ${ins.code}`}`);
    inserted++;
  }
  return { inserted };
}

/** Remove the rules (tests). */
export async function removeForwardAccept(o: ForwardAcceptOptions): Promise<void> {
  for (const rule of forwardRules(o.clusterCIDR)) while ((await iptables(o, ['-w', '5', '-D', ...rule])).code === 0);
}
