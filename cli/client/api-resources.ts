// `skiff api-resources`: NAME SHORTNAMES APIVERSION NAMESPACED KIND, like kubectl's.
import type { ClientContext } from './context.ts';
import { apiVersionOf, type ApiResource } from './resources.ts';
import { formatTable } from './table.ts';

export function apiResourcesTable(resources: ApiResource[], o: { namespaced?: boolean; output?: string } = {}): string[] {
  let rs = [...resources];
  if (o.namespaced !== undefined) rs = rs.filter((r) => r.namespaced === o.namespaced);
  // one line per resource and group: the preferred (first discovered) version
  const seen = new Set<string>();
  rs = rs.filter((r) => !seen.has(`${r.group}/${r.name}`) && seen.add(`${r.group}/${r.name}`));
  rs.sort((a, b) => a.group.localeCompare(b.group) || a.name.localeCompare(b.name));
  if (o.output === 'name') return rs.map((r) => (r.group ? `${r.name}.${r.group}` : r.name));
  const wide = o.output === 'wide';
  const headers = ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS'] : [])];
  const rows = rs.map((r) => [r.name, r.shortNames.join(','), apiVersionOf(r), String(r.namespaced), r.kind, ...(wide ? [`[${r.verbs.join(' ')}]`] : [])]);
  return formatTable(headers, rows);
}

export async function apiResources(ctx: ClientContext, o: { namespaced?: string; output?: string }): Promise<number> {
  const namespaced = o.namespaced === undefined ? undefined : o.namespaced !== 'false';
  for (const l of apiResourcesTable(await ctx.resources.list(), { namespaced, output: o.output })) ctx.out(l + '\n');
  return 0;
}
