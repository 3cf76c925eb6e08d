// Running `nft`: one transaction (`nft -f -`, atomic: all of it or nothing), JSON listings
// (`nft -j list ...`), and the table Skiff's network plugins share, created when absent. Optionally
// inside a network namespace (`ip netns exec <ns> nft ...`), so tests program a "node" namespace and
// not the host. The nft binary is the interface here, as kube-proxy's knftables uses it: netlink
// messages of nf_tables are versioned by the kernel and nft keeps up with them.
import { runProcess } from '../run-process.ts';

export interface NftOptions {
  /** run nft inside this named network namespace (`ip netns exec`) */
  netns?: string;
  /** the nft binary (default: `nft`, found on PATH) */
  binary?: string;
  /** kill a command that runs longer (default 30 s) */
  timeoutMs?: number;
}

/** One error nft reported: the script line it points at (1-based), the message, and that line's text. */
export interface NftErrorLine {
  line: number;
  message: string;
  text?: string;
}

/** A command or transaction nft refused; nothing of a refused transaction was applied. */
export class NftError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly errors: NftErrorLine[],
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'NftError';
  }
}

/**
 * The errors in nft's stderr: lines like `/dev/stdin:12:5-9: Error: No such file or directory`
 * (`-` or `/dev/stdin` or a file name), each followed by the offending line and a caret line.
 */
export function parseNftErrors(stderr: string, script?: string): NftErrorLine[] {
  const out: NftErrorLine[] = [];
  const lines = script?.split('\n');
  for (const m of stderr.matchAll(/^[^\n:]*:(\d+):[\d-]+: Error: (.*)$/gm)) {
    const line = Number(m[1]);
    out.push({ line, message: m[2]!.trim(), ...(lines?.[line - 1] !== undefined ? { text: lines[line - 1] } : {}) });
  }
  if (!out.length) {
    const m = /Error: (.*)/.exec(stderr);
    if (m) out.push({ line: 0, message: m[1]!.trim() });
  }
  return out;
}

/** What `nft -j list ...` prints: an array of one-key objects (`{chain: {...}}`, `{set: {...}}`, ...). */
export type NftJsonItem = Record<string, Record<string, unknown>>;

export class Nft {
  readonly netns: string | undefined;
  private readonly binary: string;
  private readonly timeoutMs: number;

  constructor(opts: NftOptions = {}) {
    this.netns = opts.netns;
    this.binary = opts.binary ?? 'nft';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** Apply a script as one transaction (`nft -f -`): it all takes effect, or none of it (NftError). */
  async apply(script: string): Promise<void> {
    await this.run(['-f', '-'], script);
  }

  /** Check a script without applying it (`nft -c -f -`). */
  async check(script: string): Promise<void> {
    await this.run(['-c', '-f', '-'], script);
  }

  /**
   * `nft -j list <what...>` (e.g. `chains inet`, `table inet skiff`), the items without the metainfo.
   * `terse` (`-t`) leaves out set elements (a listing of sets stays cheap however many elements).
   */
  async list(what: string[], opts: { terse?: boolean } = {}): Promise<NftJsonItem[]> {
    const out = await this.run([...(opts.terse ? ['-t'] : []), '-j', 'list', ...what]);
    const parsed = JSON.parse(out || '{"nftables":[]}') as { nftables?: NftJsonItem[] };
    return (parsed.nftables ?? []).filter((i) => !('metainfo' in i));
  }

  /** Does the table exist? */
  async hasTable(family: string, table: string): Promise<boolean> {
    const items = await this.list(['tables', family]);
    return items.some((i) => i.table?.name === table);
  }

  /** Create the table when absent (`add table` never touches an existing one or its contents). */
  async ensureTable(family: string, table: string, comment?: string): Promise<void> {
    await this.apply(`add table ${family} ${table}${comment ? ` { comment ${quote(comment)} ; }` : ''}\n`);
  }

  /** Names of the table's chains (`nft -j list chains <family>`, filtered to the table). */
  async chainNames(family: string, table: string): Promise<string[]> {
    const items = await this.list(['chains', family]);
    return items.filter((i) => i.chain?.table === table).map((i) => String(i.chain!.name));
  }

  /** Names of the table's sets, or of its maps (`kind: 'maps'`). */
  async setNames(family: string, table: string, kind: 'sets' | 'maps' = 'sets'): Promise<string[]> {
    const key = kind === 'sets' ? 'set' : 'map';
    const items = await this.list([kind, family], { terse: true });
    return items.filter((i) => i[key]?.table === table).map((i) => String(i[key]!.name));
  }

  /** Delete the whole table, if it exists (tests; a plugin never deletes the shared table). */
  async deleteTable(family: string, table: string): Promise<void> {
    if (await this.hasTable(family, table)) await this.apply(`delete table ${family} ${table}\n`);
  }

  private command(args: string[]): [string, string[]] {
    return this.netns ? ['ip', ['netns', 'exec', this.netns, this.binary, ...args]] : [this.binary, args];
  }

  private async run(args: string[], input?: string): Promise<string> {
    const [cmd, argv] = this.command(args);
    const r = await runProcess(cmd, argv, { input, timeoutMs: this.timeoutMs }).catch((e: Error) => {
      throw new NftError(`${cmd} ${argv.join(' ')}: ${e.message}`, '', [], null);
    });
    if (r.code === 0) return r.stdout;
    const errors = parseNftErrors(r.stderr, input);
    const first = errors[0];
    const what = first ? `${first.message}${first.text ? ` (line ${first.line}: ${first.text.trim()})` : ''}` : r.stderr.trim() || `killed by ${r.signal}`;
    throw new NftError(`nft ${args.join(' ')} failed: ${what}`, r.stderr, errors, r.code);
  }
}

/** A string as an nft quoted string (comments). nft has no escapes: drop the quote character. */
export function quote(s: string): string {
  return `"${s.replace(/["\\\n]/g, '')}"`;
}
