// metadata.generateName, as kube's SimpleNameGenerator: the prefix cut to 58 characters, then 5
// random characters (63 in all), from an alphabet without vowels (no words) or look-alikes.
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATED_PREFIX = 58;
/** tries of a generated name that is taken (kube-apiserver retries generateName creates since 1.31) */
export const GENERATE_NAME_TRIES = 8;

export function generatedName(prefix: string): string {
  prefix = prefix.slice(0, MAX_GENERATED_PREFIX);
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return prefix + s;
}
