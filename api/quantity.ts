// Kubernetes resource quantities ("100m", "1.5Gi", "2e3", "128974848"), as numbers in base units.

const QUANTITY = /^([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

const SUFFIX: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The message Kubernetes uses when a quantity does not parse. */
export const QUANTITY_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** The value of a quantity in base units (cores, bytes...), or undefined when it is not a quantity. */
export function tryParseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim() === q ? q : '');
  if (!m) return undefined;
  const num = Number(m[1]);
  const suffix = m[2] ?? '';
  let value: number;
  if (suffix in SUFFIX) value = num * SUFFIX[suffix];
  else value = num * 10 ** Number(suffix.slice(1));
  // Multiplying by a power of ten in floating point gives 0.30000000000000004-style noise: round to 1e-9.
  if (Number.isFinite(value) && Math.abs(value) < 1e15) value = Math.round(value * 1e9) / 1e9;
  return Number.isFinite(value) ? value : undefined;
}

/** Parse a quantity; throws on anything that is not one. */
export function parseQuantity(q: string | number): number {
  const v = tryParseQuantity(q);
  if (v === undefined) throw new Error(`invalid quantity ${JSON.stringify(q)}: ${QUANTITY_ERROR}`);
  return v;
}

/** Quantity in thousandths, rounded up as Kubernetes' MilliValue() does ("100m" -> 100, "1" -> 1000). */
export function parseMilliQuantity(q: string | number): number {
  return Math.ceil(Math.round(parseQuantity(q) * 1e6) / 1e3);
}
