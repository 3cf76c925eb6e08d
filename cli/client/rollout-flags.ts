// Flag values as kubectl (pflag) parses them: Go durations (`--timeout=1m30s`), integers
// (`--revision=2`), `--dry-run=none|client|server`, and booleans (`--watch=false`), with pflag's errors.
import type { DryRun } from './rollout-undo.ts';

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const invalid = (flag: string, v: string, why: string) => new Error(`invalid argument "${v}" for "--${flag}" flag: ${why}`);

/** time.ParseDuration, in milliseconds. */
export function parseGoDuration(s: string): number {
  const quoted = JSON.stringify(s);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest) {
    const m = /^(\d*\.?\d*)([^\d.]*)/.exec(rest)!;
    const [whole, number, unit] = m as unknown as [string, string, string];
    if (number === '' || number === '.') throw new Error(`time: invalid duration ${quoted}`);
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const factor = UNITS[unit];
    if (factor === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    total += Number(number) * factor;
    rest = rest.slice(whole.length);
  }
  return sign * total;
}

export function durationFlag(flag: string, v: string | undefined, dflt = 0): number {
  if (v === undefined) return dflt;
  try {
    return parseGoDuration(v);
  } catch (e) {
    throw invalid(flag, v, (e as Error).message);
  }
}

/** strconv.ParseInt as pflag's Int/Int64 flags use it. */
export function intFlag(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^[+-]?\d+$/.test(v)) throw invalid(flag, v, `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw invalid(flag, v, `strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

/** strconv.ParseBool for `--watch=false`; a bare flag (commander's `true`) is true. */
export function boolFlag(flag: string, v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  if (/^(1|t|T|TRUE|true|True)$/.test(v)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(v)) return false;
  throw invalid(flag, v, `strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

/** cmdutil.GetDryRunStrategy */
export function dryRunFlag(v: string | boolean | undefined): DryRun {
  if (v === undefined || v === 'none') return 'none';
  if (v === true || v === 'unchanged') throw new Error('--dry-run flag without a value was specified. A value must be set: "none", "server", or "client".');
  if (v === 'client' || v === 'server') return v;
  throw new Error(`Invalid dry-run value (${String(v)}). Must be "none", "server", or "client".`);
}

/** What the name printer adds to the operation for a dry run. */
export const dryRunSuffix = (d: DryRun): string => (d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '');
