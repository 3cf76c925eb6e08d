// The CRI log format (what containerd writes to a container's log file), one line per record:
//   <RFC 3339 time, any number of fraction digits> <stdout|stderr> <tag> <text>\n
// The tag is "F" (full: the record ends a line) or "P" (partial: the line goes on in the next
// record), possibly followed by ":"-separated extras. Parsed as the kubelet's parseCRILog does.

export interface CriRecord {
  /** the time as written */
  time: string;
  stream: 'stdout' | 'stderr';
  /** the line goes on in the next record */
  partial: boolean;
  /** the text, without the newline */
  text: Buffer;
}

const SP = 0x20;

/** One record (`line` without its "\n"); undefined when it is not in the CRI format. */
export function parseCriRecord(line: Buffer): CriRecord | undefined {
  const a = line.indexOf(SP);
  if (a <= 0) return undefined;
  const b = line.indexOf(SP, a + 1);
  if (b < 0) return undefined;
  const stream = line.toString('latin1', a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  let c = line.indexOf(SP, b + 1);
  if (c < 0) c = line.length; // no text at all: lenient
  const tag = line.toString('latin1', b + 1, c);
  const first = tag.split(':')[0];
  if (first !== 'F' && first !== 'P') return undefined;
  const time = line.toString('latin1', 0, a);
  if (!TIME.test(time)) return undefined;
  return { time, stream, partial: first === 'P', text: line.subarray(Math.min(c + 1, line.length)) };
}

/** Only the tag, cheaply (tail scans records from the end): 'F', 'P' or undefined. */
export function recordTag(line: Buffer): 'F' | 'P' | undefined {
  const a = line.indexOf(SP);
  const b = a < 0 ? -1 : line.indexOf(SP, a + 1);
  if (b < 0 || b + 1 >= line.length) return undefined;
  const t = line[b + 1];
  const after = line[b + 2];
  if (after !== undefined && after !== SP && after !== 0x3a /* : */) return undefined;
  return t === 0x46 ? 'F' : t === 0x50 ? 'P' : undefined;
}

const TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** Nanoseconds since the epoch of an RFC 3339 time (fraction of any length up to 9 digits). */
export function parseTimeNs(s: string): bigint | undefined {
  const m = TIME.exec(s.trim());
  if (!m) return undefined;
  const zone = m[3]!.toUpperCase();
  const ms = Date.parse(`${m[1]}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/**
 * The time as the kubelet prints it with `timestamps=true` (RFC3339NanoFixed: nine fraction digits,
 * the zone as written, "Z" for UTC).
 */
export function fixedNanoTime(s: string): string {
  const m = TIME.exec(s);
  if (!m) return s;
  const zone = m[3]!.toUpperCase();
  return `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}${zone === '+00:00' || zone === '-00:00' ? 'Z' : zone}`;
}

/** Now, in nanoseconds since the epoch. */
export const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
