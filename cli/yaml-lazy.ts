// The yaml library, loaded where YAML is read or written rather than when the CLI starts. Bundled,
// its CommonJS build's exports sit on `default` of a dynamic import; under tsx they are named.
type Yaml = typeof import('yaml');

export async function loadYaml(): Promise<Yaml> {
  const m = (await import('yaml')) as Yaml & { default?: Yaml };
  return typeof m.parse === 'function' ? m : m.default!;
}
