// -o json / yaml / name for objects: one object as itself, several as a `List`.
import { loadYaml } from '../yaml-lazy.ts';
import type { ApiResource } from './resources.ts';
import { apiVersionOf, kindRef } from './resources.ts';

export type OutputFormat = '' | 'wide' | 'json' | 'yaml' | 'name';

export function parseOutputFormat(o: string | undefined): OutputFormat {
  const f = (o ?? '').trim();
  if (f === '' || f === 'wide' || f === 'json' || f === 'yaml' || f === 'name') return f;
  throw new Error(`error: unable to match a printer suitable for the output format "${f}", allowed formats are: json,name,wide,yaml`);
}

/** Items of a list come without apiVersion/kind from Kubernetes servers: put them back. */
export function withTypeMeta<T extends Record<string, unknown>>(o: T, r: ApiResource): T {
  return { apiVersion: apiVersionOf(r), kind: r.kind, ...o };
}

export function asList(items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}

/** kubectl's -o json (4 spaces) or -o yaml; the YAML library is loaded only for yaml */
export async function formatObject(o: unknown, format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return JSON.stringify(o, null, 4) + '\n';
  return (await loadYaml()).stringify(o, { lineWidth: 0, indentSeq: false });
}

export function formatName(r: ApiResource, name: string): string {
  return `${kindRef(r)}/${name}\n`;
}
