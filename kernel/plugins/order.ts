// Start order from `requires`: a plugin requiring type T starts after every plugin of type T.

export interface OrderNode {
  name: string;
  type: string;
  requires?: readonly string[];
}

export class PluginDependencyError extends Error {
  constructor(
    message: string,
    readonly plugins: string[],
  ) {
    super(message);
    this.name = 'PluginDependencyError';
  }
}

/**
 * Order `nodes` so that each starts after the nodes of every type it requires. A requirement
 * may also be met by `running` plugins (already started, not part of this batch). A plugin
 * never satisfies its own requirement. Ties keep input order. Throws PluginDependencyError for
 * missing requirements (all of them) or a cycle (one, as a path).
 */
export function orderPlugins<N extends OrderNode>(nodes: readonly N[], running: readonly OrderNode[] = []): N[] {
  const byName = new Map<string, N>();
  for (const n of nodes) {
    if (byName.has(n.name)) throw new PluginDependencyError(`plugin "${n.name}" is listed twice`, [n.name]);
    byName.set(n.name, n);
  }

  // deps: name -> names (in this batch) it must start after
  const deps = new Map<string, string[]>();
  const missing: string[] = [];
  const missingPlugins: string[] = [];
  for (const n of nodes) {
    const d: string[] = [];
    for (const t of n.requires ?? []) {
      const inBatch = nodes.filter((m) => m.type === t && m.name !== n.name);
      const inRunning = running.some((m) => m.type === t && m.name !== n.name && !byName.has(m.name));
      if (inBatch.length === 0 && !inRunning) {
        missing.push(`plugin "${n.name}" requires type "${t}" but no plugin provides it`);
        missingPlugins.push(n.name);
      }
      for (const m of inBatch) if (!d.includes(m.name)) d.push(m.name);
    }
    deps.set(n.name, d);
  }
  if (missing.length) throw new PluginDependencyError(missing.join('; '), missingPlugins);

  // Kahn's algorithm, always taking the earliest ready plugin in input order (stable).
  const out: N[] = [];
  const done = new Set<string>();
  const left = [...nodes];
  while (left.length) {
    const i = left.findIndex((n) => deps.get(n.name)!.every((d) => done.has(d)));
    if (i < 0) {
      const cycle = findCycle(left.map((n) => n.name), deps);
      throw new PluginDependencyError(`dependency cycle: ${cycle.join(' -> ')}`, cycle.slice(0, -1));
    }
    const [n] = left.splice(i, 1);
    done.add(n!.name);
    out.push(n!);
  }
  return out;
}

/** A cycle among `names` (each of which is stuck), as a path a -> b -> a. */
function findCycle(names: string[], deps: Map<string, string[]>): string[] {
  const stuck = new Set(names);
  const path: string[] = [];
  let cur = names[0]!;
  while (!path.includes(cur)) {
    path.push(cur);
    cur = deps.get(cur)!.find((d) => stuck.has(d))!;
  }
  return [...path.slice(path.indexOf(cur)), cur];
}
