// Name and syntax checks, worded as Kubernetes' apimachinery validation words them: each returns
// messages (empty = valid). The kernel's schema turns them into field causes.
import { isIP } from 'node:net';

/** Kubernetes' RegexError: `msg (e.g. 'a',  or 'b', regex used for validation is 're')`. */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (!examples.length) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}
const maxLen = (n: number) => `must be no more than ${n} characters`;
const full = (re: string) => new RegExp(`^(?:${re})$`);

const DNS1123_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN = `${DNS1123_LABEL}(\\.${DNS1123_LABEL})*`;
const DNS1035_LABEL = '[a-z]([-a-z0-9]*[a-z0-9])?';
const QUALIFIED_NAME = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE = '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?';
const CONFIG_KEY = '[-._a-zA-Z0-9]+';
const ENV_VAR = '[-._a-zA-Z][-._a-zA-Z0-9]*';
// compiled once: these run for every name, label and key of every write
const RE = {
  dns1123Label: full(DNS1123_LABEL),
  dns1123Subdomain: full(DNS1123_SUBDOMAIN),
  dns1035Label: full(DNS1035_LABEL),
  qualifiedName: full(QUALIFIED_NAME),
  labelValue: full(LABEL_VALUE),
  configKey: full(CONFIG_KEY),
  envVar: full(ENV_VAR),
};
const QUALIFIED_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** A name check, as for metadata.name: `prefix` is true for generateName (a trailing '-' is fine). */
export type NameCheck = (name: string, prefix?: boolean) => string[];
const maskTrailingDash = (n: string, prefix?: boolean) => (prefix && n.length > 1 && n.endsWith('-') ? n.slice(0, -1) + 'a' : n);

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!RE.dns1123Label.test(v))
    errs.push(regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", DNS1123_LABEL, 'my-name', '123-abc'));
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!RE.dns1123Subdomain.test(v))
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", DNS1123_SUBDOMAIN, 'example.com'));
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!RE.dns1035Label.test(v))
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", DNS1035_LABEL, 'my-name', 'abc-123'));
  return errs;
}

export const nameIsDNSSubdomain: NameCheck = (n, prefix) => isDNS1123Subdomain(maskTrailingDash(n, prefix));
export const nameIsDNSLabel: NameCheck = (n, prefix) => isDNS1123Label(maskTrailingDash(n, prefix));
export const nameIsDNS1035Label: NameCheck = (n, prefix) => isDNS1035Label(maskTrailingDash(n, prefix));
/** For kinds whose names are path segments only (e.g. RBAC): anything without '/' or '%', and not '.' or '..'. */
export const nameIsPathSegment: NameCheck = (n) =>
  n === '.' || n === '..' ? [`may not be '${n}'`] : /[/%]/.test(n) ? [`may not contain '${n.includes('/') ? '/' : '%'}'`] : [];

/** Label keys, annotation keys, finalizers: `[prefix/]name`. */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0];
  else if (parts.length === 2) {
    const [prefix, n] = parts;
    name = n;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_MSG, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length && !RE.qualifiedName.test(name))
    errs.push(`name part ${regexError(QUALIFIED_MSG, QUALIFIED_NAME, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLen(63));
  if (!RE.labelValue.test(v))
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", LABEL_VALUE, 'MyValue', 'my_value', '12345'));
  return errs;
}

function dotChecks(v: string): string[] {
  if (v === '.') return ["must not be '.'"];
  if (v === '..') return ["must not be '..'"];
  if (v.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** ConfigMap and Secret keys. */
export function isConfigMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLen(253));
  if (!RE.configKey.test(v))
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_KEY, 'key.name', 'KEY_NAME', 'key-name'));
  return [...errs, ...dotChecks(v)];
}

export function isEnvVarName(v: string): string[] {
  const errs: string[] = [];
  if (!RE.envVar.test(v))
    errs.push(regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit", ENV_VAR, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  return [...errs, ...dotChecks(v)];
}

/** Port names (IANA_SVC_NAME). */
export function isIanaSvcName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.startsWith('-') || v.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export const isValidPortNum = (p: number): string[] =>
  Number.isInteger(p) && p >= 1 && p <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];

export const isValidIP = (s: string): string[] => (isIP(s) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);

export function isValidCIDR(s: string): string[] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  const fam = m ? isIP(m[1]) : 0;
  if (!m || !fam || Number(m[2]) > (fam === 4 ? 32 : 128))
    return ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'];
  return [];
}

export const isValidPercent = (s: string): string[] =>
  /^[0-9]+%$/.test(s) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%')];

export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
