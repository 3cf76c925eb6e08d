// Kubernetes' name rules (apimachinery validation), as ground truth for what the fuzzer expects.
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);
const DNS1123_LABEL = new RegExp(`^${LABEL}$`);
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export type NameRule = 'subdomain' | 'label' | 'label1035';

export function validName(rule: NameRule, s: string): boolean {
  switch (rule) {
    case 'subdomain':
      return s.length <= 253 && SUBDOMAIN.test(s);
    case 'label':
      return s.length <= 63 && DNS1123_LABEL.test(s);
    case 'label1035':
      return s.length <= 63 && DNS1035_LABEL.test(s);
  }
}

/** Label keys ([prefix/]name) and values, as kube validates metadata.labels. */
export function validLabelKey(k: string): boolean {
  const i = k.lastIndexOf('/');
  const prefix = i >= 0 ? k.slice(0, i) : undefined;
  const name = i >= 0 ? k.slice(i + 1) : k;
  if (prefix !== undefined && !validName('subdomain', prefix)) return false;
  return name.length >= 1 && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
}

export function validLabelValue(v: string): boolean {
  return v === '' || (v.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v));
}

/** Hostile and borderline names: too long, bad characters, NATS subject tokens, unicode. */
export const NAME_SAMPLES: readonly string[] = [
  'a'.repeat(5000),
  'a'.repeat(20_000),
  'a'.repeat(253),
  'a'.repeat(254),
  'a'.repeat(63),
  'a'.repeat(64),
  Array.from({ length: 4 }, () => 'b'.repeat(63)).join('.'), // 255
  Array.from({ length: 4 }, (_, i) => 'c'.repeat(i === 3 ? 61 : 63)).join('.'), // 253
  '',
  ' ',
  '.',
  '..',
  '-',
  'a.b',
  'a..b',
  '.a',
  'a.',
  '-a',
  'a-',
  '0',
  '0abc',
  'ABC',
  'aBc',
  'a_b',
  '_',
  'a b',
  'a\tb',
  'a\nb',
  'a\r\nb',
  'a\u0000b',
  '*',
  '>',
  'a.*',
  'a.>',
  '$JS.API',
  '_INBOX.x',
  'a/b',
  'a%2Fb',
  'a:b',
  'a@b',
  "a'b",
  'a"b',
  '<script>',
  'ünïcode',
  '名前',
  '😀',
  'a\u202eb',
  'kube-system',
  'default',
  '__proto__',
  'constructor',
  'toString',
];

export function pickName(rng: { pick<T>(xs: readonly T[]): T; chance(p: number): boolean; range(a: number, b: number): number; word(n: number): string }): string {
  if (rng.chance(0.2)) return rng.word(rng.range(1, 300)); // random length around the limits
  return rng.pick(NAME_SAMPLES);
}
