// A builder for one nft transaction on one table: the script `nft -f -` applies atomically. Each
// plugin adds only objects of its own (its name prefix) to the shared table; nothing here flushes
// or deletes the table itself.
//
// Object names are bare nft identifiers (letters, digits, `/ _ . -`; nft rejects quoted chain and
// set names): `safeName` makes one of any text.

export interface BaseChain {
  type: 'filter' | 'nat' | 'route';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** a number or a standard name (`dstnat`, `srcnat`, `filter`, `filter - 10`, ...) */
  priority: number | string;
  policy?: 'accept' | 'drop';
}

export interface SetSpec {
  type: string;
  flags?: string[];
  /** seconds (sets with flag timeout) */
  timeoutSeconds?: number;
  size?: number;
}

export class NftTransaction {
  private readonly lines: string[] = [];
  private readonly at: string;

  constructor(
    readonly family: string,
    readonly table: string,
  ) {
    this.at = `${family} ${table}`;
  }

  /** `add table` (creates it when absent, leaves it alone when present). */
  addTable(): this {
    return this.push(`add table ${this.at}`);
  }

  /** `add chain` (idempotent; a base chain when `base` is given). */
  addChain(name: string, base?: BaseChain): this {
    const b = base ? ` { type ${base.type} hook ${base.hook} priority ${base.priority} ; policy ${base.policy ?? 'accept'} ; }` : '';
    return this.push(`add chain ${this.at} ${name}${b}`);
  }

  flushChain(name: string): this {
    return this.push(`flush chain ${this.at} ${name}`);
  }

  deleteChain(name: string): this {
    return this.push(`delete chain ${this.at} ${name}`);
  }

  addRule(chain: string, rule: string): this {
    return this.push(`add rule ${this.at} ${chain} ${rule}`);
  }

  /** `add set` (idempotent while the spec is the same). */
  addSet(name: string, spec: SetSpec): this {
    return this.push(`add set ${this.at} ${name} { ${setBody(spec)} }`);
  }

  /** `add map` (idempotent): `type` is e.g. `ipv4_addr . inet_proto . inet_service : verdict`. */
  addMap(name: string, spec: SetSpec): this {
    return this.push(`add map ${this.at} ${name} { ${setBody(spec)} }`);
  }

  flushSet(name: string): this {
    return this.push(`flush set ${this.at} ${name}`);
  }

  flushMap(name: string): this {
    return this.push(`flush map ${this.at} ${name}`);
  }

  deleteSet(name: string): this {
    return this.push(`delete set ${this.at} ${name}`);
  }

  deleteMap(name: string): this {
    return this.push(`delete map ${this.at} ${name}`);
  }

  /** Add elements (`10.0.0.1 . tcp . 80 : goto x`) to a set or map; batched into few lines. */
  addElements(set: string, elements: readonly string[]): this {
    return this.elements('add', set, elements);
  }

  /** Delete elements (keys only, no `: verdict`): each must exist, or the transaction fails. */
  deleteElements(set: string, keys: readonly string[]): this {
    return this.elements('delete', set, keys);
  }

  /** Any other statement, as is. */
  raw(line: string): this {
    return this.push(line);
  }

  get size(): number {
    return this.lines.length;
  }

  toString(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }

  private elements(verb: 'add' | 'delete', set: string, elements: readonly string[]): this {
    for (let i = 0; i < elements.length; i += ELEMENTS_PER_LINE) {
      this.push(`${verb} element ${this.at} ${set} { ${elements.slice(i, i + ELEMENTS_PER_LINE).join(', ')} }`);
    }
    return this;
  }

  private push(line: string): this {
    this.lines.push(line);
    return this;
  }
}

const ELEMENTS_PER_LINE = 256;

function setBody(spec: SetSpec): string {
  let s = `type ${spec.type} ;`;
  if (spec.flags?.length) s += ` flags ${spec.flags.join(',')} ;`;
  if (spec.timeoutSeconds !== undefined) s += ` timeout ${spec.timeoutSeconds}s ;`;
  if (spec.size !== undefined) s += ` size ${spec.size} ;`;
  return s;
}

/** nft identifiers are at most 255 bytes (NFT_NAME_MAXLEN 256 with the NUL). */
export const NFT_NAME_MAX = 255;

/** Text as an nft identifier: characters nft does not take become `_`, cut to `max`. */
export function safeName(s: string, max = NFT_NAME_MAX): string {
  const t = s.replace(/[^A-Za-z0-9/_.-]/g, '_');
  return (/^[A-Za-z_.]/.test(t) ? t : `_${t}`).slice(0, max);
}
