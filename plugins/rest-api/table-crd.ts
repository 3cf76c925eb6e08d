// The columns of a custom resource in server-side Tables, as apiextensions-apiserver's
// tableconvertor builds them: Name, then each additionalPrinterColumn (priority > 0: `-o wide`),
// cells taken with kube's JSONPath (`.status.conditions[?(@.type=="Ready")].status`), typed as
// declared: integer and number cells are numbers, boolean booleans, date an age ("5m"), string
// kubectl's printing of the value; a path that finds nothing is an empty (null) cell.
// JSONPath is jsonpath-plus (its safe evaluator: filters without JavaScript eval).
import { JSONPath } from 'jsonpath-plus';
import type { KObject, PrinterColumn } from '@skiff/kernel';
import { age, nameCol, type Column } from './table-kit.ts';

/** The values a kube JSONPath (`.a.b`, `{.a.b}`) finds; [] when none or when it does not parse. */
export function jsonPathValues(obj: unknown, path: string): unknown[] {
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1);
  if (!p.startsWith('.') && !p.startsWith('[')) return [];
  try {
    return JSONPath({ path: `$${p}`, json: obj as object, wrap: true, eval: 'safe' }) as unknown[];
  } catch {
    return [];
  }
}

/** kube's jsonpath printing of one value: strings as they are, the rest as JSON (maps and lists). */
function printValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** cellForJSONValue: the cell of a typed column (null when the value has another type). */
function typedCell(type: string, v: unknown): unknown {
  switch (type) {
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      if (typeof v !== 'string') return null;
      return Number.isNaN(Date.parse(v)) ? '<invalid>' : age(v);
    default:
      return printValue(v);
  }
}

export function printerColumnsFor(cols: readonly PrinterColumn[]): Column[] {
  return [
    nameCol,
    ...cols.map(
      (c): Column => ({
        name: c.name,
        type: c.type as Column['type'],
        format: c.format ?? '',
        description: c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
        priority: c.priority ?? 0,
        nullable: true,
        cell: (o: KObject) => {
          const found = jsonPathValues(o, c.jsonPath);
          return found.length === 0 || found[0] === undefined ? null : typedCell(c.type, found[0]);
        },
      }),
    ),
  ];
}
