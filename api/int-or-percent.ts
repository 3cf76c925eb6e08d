// intstr.IntOrString values that are counts or percentages ("25%"), as apimachinery's intstr scales them.
import type { IntOrString } from './types/meta.ts';

function valueOf(v: IntOrString): { value: number; percent: boolean } {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`invalid type: neither int nor percentage`);
    return { value: v, percent: false };
  }
  if (typeof v !== 'string') throw new Error('invalid type: neither int nor percentage');
  if (!v.endsWith('%')) throw new Error('invalid type: string is not a percentage');
  const digits = v.slice(0, -1);
  // Go's strconv.Atoi: optional sign, decimal digits, nothing else.
  if (!/^[+-]?\d+$/.test(digits)) throw new Error(`invalid value ${JSON.stringify(v)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax`);
  return { value: Number(digits), percent: true };
}

/**
 * An int as is, or a percentage of `total`, rounded up or down. Throws (as intstr returns an error) for
 * undefined, strings without '%', and non-numeric percentages.
 */
export function getScaledValueFromIntOrPercent(value: IntOrString | undefined | null, total: number, roundUp: boolean): number {
  if (value === undefined || value === null) throw new Error('nil value for IntOrString');
  let parsed: { value: number; percent: boolean };
  try {
    parsed = valueOf(value);
  } catch (e) {
    throw new Error(`invalid value for IntOrString: ${(e as Error).message}`);
  }
  if (!parsed.percent) return parsed.value;
  const scaled = (parsed.value * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
