// Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion), used for env values, command,
// args and subPathExpr:
// - `$(NAME)` becomes the mapping's value for NAME; an unknown NAME is kept as written, `$(NAME)`;
// - `$$` is an escaped `$` (so `$$(NAME)` is the literal `$(NAME)`);
// - a `$` followed by anything else is kept with that character (`$x`, `$`, an unclosed `$(abc`).
// Kubernetes scans bytes and mangles a non-ASCII character right after a lone `$`; this scans UTF-16
// units and keeps that character intact (the only difference).

/** NAME → value, or undefined when NAME is not defined. */
export type Mapping = (name: string) => string | undefined;

/** A mapping over maps tried in order (kube's MappingFuncFor). */
export function mappingFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const c of contexts) {
      const v = c.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** Expands `input`; undefined names stay as `$(NAME)`. */
export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const { read, isVar, advance } = tryReadVariableName(input.slice(cursor + 1));
    if (isVar) {
      const v = mapping(read);
      out += v === undefined ? `$(${read})` : v;
    } else {
      out += read;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

function tryReadVariableName(input: string): { read: string; isVar: boolean; advance: number } {
  switch (input[0]) {
    case '$': // escaped operator
      return { read: '$', isVar: false, advance: 1 };
    case '(': {
      const close = input.indexOf(')', 1);
      if (close >= 0) return { read: input.slice(1, close), isVar: true, advance: close + 1 };
      return { read: '$(', isVar: false, advance: 1 }; // incomplete reference
    }
    default:
      return { read: `$${input[0]}`, isVar: false, advance: 1 };
  }
}
