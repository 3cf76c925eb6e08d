// The node's routes to other nodes' pods, through iproute2 (`ip`): listed by their protocol tag
// (routes this plugin made carry `proto <n>`, so a restarted agent finds and prunes its old ones and
// never touches anybody else's), changed in one `ip -batch` run. When the batch fails (a gateway
// not on a directly connected network, say), each command runs alone so that the others still
// take effect and every failure is named.
import { runProcess } from '@skiff/client';

export interface RouteTableOptions {
  /** the protocol number that marks this plugin's routes (default 120) */
  protocol?: number;
  /** run `ip` inside this named network namespace (`ip -n`) */
  netns?: string;
  timeoutMs?: number;
}

export interface Route {
  dst: string;
  via: string;
}

export interface RouteFailure {
  command: string;
  error: string;
}

export class RouteTable {
  readonly protocol: number;
  private readonly prefix: string[];
  private readonly timeoutMs: number;

  constructor(o: RouteTableOptions = {}) {
    this.protocol = o.protocol ?? 120;
    this.prefix = o.netns ? ['-n', o.netns] : [];
    this.timeoutMs = o.timeoutMs ?? 20_000;
  }

  /** This plugin's routes in the main table. */
  async list(): Promise<Route[]> {
    const out = await this.ip(['-j', 'route', 'show', 'proto', String(this.protocol)]);
    const rows = JSON.parse(out.trim() || '[]') as { dst: string; gateway?: string }[];
    return rows.filter((r) => r.gateway).map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, via: r.gateway! }));
  }

  /** Add or change `set`, delete the routes to `del`; resolves with the commands that failed. */
  async apply(set: Route[], del: string[]): Promise<RouteFailure[]> {
    const commands = [
      ...set.map((r) => `route replace ${r.dst} via ${r.via} proto ${this.protocol}`),
      ...del.map((d) => `route del ${d} proto ${this.protocol}`),
    ];
    if (!commands.length) return [];
    try {
      await this.ip(['-batch', '-'], commands.join('\n') + '\n');
      return [];
    } catch {
      const failures: RouteFailure[] = [];
      for (const c of commands) {
        await this.ip(c.split(' ')).catch((e: unknown) => failures.push({ command: `ip ${c}`, error: e instanceof Error ? e.message : String(e) }));
      }
      return failures;
    }
  }

  private async ip(args: string[], input?: string): Promise<string> {
    const r = await runProcess('ip', [...this.prefix, ...args], { input, timeoutMs: this.timeoutMs });
    if (r.code === 0) return r.stdout;
    throw new Error(r.stderr.trim() || `ip exited with ${r.code}`);
  }
}
