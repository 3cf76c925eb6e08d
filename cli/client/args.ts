// kubectl's resource arguments: `<type>[,<type>...] [name...]` or `<type>/<name> [<type>/<name>...]`.

export interface TypeNames {
  type: string;
  names: string[];
}

export function parseResourceArgs(args: string[]): TypeNames[] {
  if (!args.length) throw new Error('error: you must specify the type of resource to get');
  const [first, ...rest] = args as [string, ...string[]];
  if (first.includes('/')) {
    const out: TypeNames[] = [];
    for (const a of args) {
      const i = a.indexOf('/');
      if (i <= 0 || i === a.length - 1) throw new Error(`error: arguments in resource/name form must have a single resource and name, got "${a}"`);
      const type = a.slice(0, i);
      const name = a.slice(i + 1);
      const g = out.find((x) => x.type === type);
      if (g) g.names.push(name);
      else out.push({ type, names: [name] });
    }
    return out;
  }
  if (rest.some((a) => a.includes('/'))) throw new Error('error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form');
  const types = first.split(',').filter(Boolean);
  return types.map((type) => ({ type, names: rest }));
}
